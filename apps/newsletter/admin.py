from django.contrib import admin

from apps.newsletter.models import Campaign, Newsletter, Subscriber, Suppression


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin[Newsletter]):
    list_display = ("name", "slug", "is_default", "is_active", "position")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin[Subscriber]):
    list_display = ("email", "confirmed_at", "created_at")
    search_fields = ("email",)


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin[Suppression]):
    list_display = ("email", "reason", "created_at")
    search_fields = ("email",)


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    list_display = ("subject", "status", "scheduled_at", "recipients_count", "finished_at")
    list_filter = ("status",)
