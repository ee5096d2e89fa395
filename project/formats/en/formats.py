"""English dates as Inkwell has always written them ("December 6, 2026", "Dec 6, 2026").

Templates ask for DATE_FORMAT, SHORT_DATE_FORMAT and SHORT_DATETIME_FORMAT, so each
language writes dates its own way (German "6. Dezember 2026", Arabic "6 ديسمبر، 2026");
these are English's. Other languages use Django's formats (FORMAT_MODULE_PATH falls back).
"""

DATE_FORMAT = "F j, Y"
SHORT_DATE_FORMAT = "M j, Y"
SHORT_DATETIME_FORMAT = "M j, Y, H:i"
