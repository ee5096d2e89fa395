import ipaddress
import socket

import pytest
from django.core.exceptions import ValidationError

from apps.webhooks import services
from apps.webhooks.models import Delivery, Endpoint
from apps.webhooks.payloads import envelope
from apps.webhooks.security import check_target, is_public_address
from apps.webhooks.signing import new_message_id

REFUSED = [
    "http://127.0.0.1/hook",
    "http://127.8.9.10:8080/hook",
    "http://10.1.2.3/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",  # shared address space (carrier-grade NAT)
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://240.0.0.1/hook",
    "http://[::1]/hook",
    "http://[::]/hook",
    "http://[fe80::1]/hook",
    "http://[fc00::1]/hook",
    "http://[ff02::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[::ffff:169.254.169.254]/hook",
    "http://localhost:8000/hook",
]


@pytest.fixture
def strict(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False


@pytest.mark.usefixtures("strict")
@pytest.mark.parametrize("url", REFUSED)
def test_check_target_refuses_non_public_addresses(url):
    with pytest.raises(ValidationError) as caught:
        check_target(url)
    assert caught.value.code == "private_address"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:93.184.215.14", True),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("2002:5db8:d70e::", True),  # 6to4 around 93.184.215.14
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", False),  # Teredo around 10.0.0.1
        ("198.51.100.7", False),  # documentation range
        ("233.252.0.1", False),  # multicast
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.usefixtures("strict")
def test_a_public_literal_address_passes_without_dns():
    target = check_target("https://93.184.215.14/hooks?x=1")
    assert (target.host, target.port, target.path) == ("93.184.215.14", 443, "/hooks?x=1")
    assert target.addresses == ("93.184.215.14",)


@pytest.mark.usefixtures("strict")
def test_a_name_with_any_private_address_is_refused(monkeypatch):
    def resolve(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(ValidationError, match=r"resolves to 10\.0\.0\.7"):
        check_target("https://hooks.example.com/x")


def test_schemes_and_plain_http(settings):
    with pytest.raises(ValidationError, match="http:// or https://"):
        check_target("gopher://127.0.0.1/x")
    with pytest.raises(ValidationError, match="http:// or https://"):
        check_target("file:///etc/passwd")
    settings.WEBHOOKS_ALLOW_HTTP = False
    with pytest.raises(ValidationError, match="Use an https:// URL"):
        check_target("http://127.0.0.1/x")


def test_an_unresolvable_name_is_refused():
    with pytest.raises(ValidationError, match="could not be resolved"):
        check_target("https://no-such-host.invalid/x")


@pytest.mark.usefixtures("strict")
@pytest.mark.parametrize(
    "url", ["http://127.0.0.1/h", "http://[::ffff:127.0.0.1]/h", "http://localhost/h"]
)
def test_registration_refuses_private_addresses(url, admin):
    with pytest.raises(ValidationError) as caught:
        services.create_endpoint(actor=admin, url=url, events=["all"])
    assert "public addresses" in str(caught.value.message_dict["url"])
    assert not Endpoint.objects.exists()


def test_delivery_rechecks_the_address_and_sends_nothing(receiver, make_endpoint, settings):
    # Registered while allowed (say the rule changed, or the name now points inside).
    endpoint = make_endpoint(receiver.url("/ok"))
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_type="post.published",
        message_id=new_message_id(),
        payload=envelope("post.published", {"id": 1}),
        next_attempt_at=None,
    )
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    assert services.attempt_delivery(delivery.pk, force=True) == Delivery.Status.FAILED
    assert receiver.requests == []
    delivery.refresh_from_db()
    assert delivery.attempts[0]["error"].startswith("Refused: ")
    assert "127.0.0.1" in delivery.attempts[0]["error"]


def test_the_connection_goes_to_the_address_that_was_checked(receiver, make_endpoint, monkeypatch):
    # DNS rebinding: the name resolves to the checked address first, then to another. The
    # transport must not ask DNS again; it connects to the checked IP with the name as Host.
    port = int(receiver.base.rsplit(":", 1)[1])
    answers = iter(["127.0.0.1", "10.255.255.1"])
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host == "hooks.test":
            ip = next(answers)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    endpoint = make_endpoint(f"http://hooks.test:{port}/ok")
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_type="post.published",
        message_id=new_message_id(),
        payload=envelope("post.published", {"id": 1}),
    )
    assert services.attempt_delivery(delivery.pk, force=True) == Delivery.Status.SUCCEEDED
    [got] = receiver.requests
    assert got.headers["Host"] == f"hooks.test:{port}"


def test_https_connects_to_the_checked_address_with_the_name_for_tls():
    from urllib3.connection import HTTPSConnection

    from apps.webhooks.security import Target
    from apps.webhooks.transport import _connection, _host_header

    target = Target("https", "hooks.example.com", 8443, "/x", ("93.184.215.14",))
    connection = _connection(target, "93.184.215.14")
    assert isinstance(connection, HTTPSConnection)
    assert (connection.host, connection.port) == ("93.184.215.14", 8443)
    assert connection.server_hostname == "hooks.example.com"
    assert connection.assert_hostname == "hooks.example.com"
    assert connection.cert_reqs == "CERT_REQUIRED"
    assert _host_header(target) == "hooks.example.com:8443"
    default_port = Target("https", "hooks.example.com", 443, "/", ("93.184.215.14",))
    assert _host_header(default_port) == "hooks.example.com"
