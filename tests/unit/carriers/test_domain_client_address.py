"""The client's address behind a counted chain of trusted proxies (X-Forwarded-For)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carriers.domain import client_address

ipv4 = st.ip_addresses(v=4).map(str)


def test_without_trusted_proxies_a_forwarded_for_header_is_ignored():
    address = client_address(remote_addr="203.0.113.7", forwarded_for="198.51.100.1", trusted_proxies=0)

    assert address == "203.0.113.7"


def test_behind_one_proxy_the_address_it_appended_is_the_client():
    address = client_address(remote_addr="10.0.0.2", forwarded_for="198.51.100.1, 203.0.113.7", trusted_proxies=1)

    assert address == "203.0.113.7"


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_client():
    address = client_address(remote_addr="10.0.0.3", forwarded_for="1.1.1.1, 203.0.113.7, 10.0.0.2", trusted_proxies=2)

    assert address == "203.0.113.7"


def test_behind_a_proxy_a_request_without_the_header_is_the_socket_address():
    assert client_address(remote_addr="10.0.0.2", forwarded_for=None, trusted_proxies=1) == "10.0.0.2"


def test_a_chain_shorter_than_the_proxy_count_yields_its_leftmost_entry():
    address = client_address(remote_addr="10.0.0.3", forwarded_for="203.0.113.7", trusted_proxies=2)

    assert address == "203.0.113.7"


@pytest.mark.parametrize("hop", ["unknown", "", "203.0.113.7:443", "<script>"])
def test_an_entry_that_is_not_an_ip_address_yields_the_socket_address(hop):
    address = client_address(remote_addr="10.0.0.2", forwarded_for=f"1.1.1.1, {hop}", trusted_proxies=1)

    assert address == "10.0.0.2"


@given(spoofed=st.lists(ipv4, max_size=5), client=ipv4, proxies=st.lists(ipv4, max_size=3), remote=ipv4)
def test_whatever_the_client_writes_in_front_it_is_never_taken(spoofed, client, proxies, remote):
    """Each trusted proxy appends its peer; only the outermost proxy's entry is the client."""
    chain = [*spoofed, client, *proxies]

    address = client_address(remote_addr=remote, forwarded_for=", ".join(chain), trusted_proxies=len(proxies) + 1)

    assert address == client
