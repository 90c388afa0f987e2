"""The error table of transport.map_error, one row each, on alpaca-py's real APIError."""

from __future__ import annotations

import json

import pytest
import requests
from alpaca.common.exceptions import APIError

from console.brokers.alpaca.transport import Call, NotFoundError, map_error
from console.engine.ports import (
    AuthenticationError,
    BrokerError,
    BrokerTimeoutError,
    BrokerUnavailableError,
    DataSubscriptionError,
    DuplicateClientOrderIdError,
    OrderRejectedError,
    RateLimitedError,
)


def _api_error(status: int, body: object, headers: dict[str, str] | None = None) -> APIError:
    """What alpaca-py raises: APIError(response.text, HTTPError) with the response attached."""
    response = requests.Response()
    response.status_code = status
    text = body if isinstance(body, str) else json.dumps(body)
    response._content = text.encode()
    response.headers.update(headers or {})
    return APIError(text, requests.HTTPError(response=response))


WASH = {"code": 40310000, "message": "potential wash trade detected. use complex orders"}


def test_submit_403_is_a_rejection_with_code_message_and_status() -> None:
    error = map_error(_api_error(403, WASH), kind=Call.SUBMIT)
    assert type(error) is OrderRejectedError
    assert (error.code, error.http_status) == ("40310000", 403)
    assert error.message == WASH["message"]
    assert error.reason == f"{WASH['message']} (403 40310000)"


@pytest.mark.parametrize("status", [400, 403, 404, 409, 413, 422])
def test_every_other_4xx_on_a_submit_is_a_rejection(status: int) -> None:
    error = map_error(_api_error(status, {"code": 42210000, "message": "nope"}), kind=Call.SUBMIT)
    assert type(error) is OrderRejectedError
    assert error.http_status == status


def test_duplicate_id_408_429_and_401_are_not_rejections_on_a_submit() -> None:
    duplicate = {"code": 40010001, "message": "client_order_id must be unique"}
    assert type(map_error(_api_error(422, duplicate), kind=Call.SUBMIT)) is (
        DuplicateClientOrderIdError
    )
    assert type(map_error(_api_error(408, "timeout"), kind=Call.SUBMIT)) is BrokerTimeoutError
    limited = map_error(
        _api_error(
            429, {"code": 42910000, "message": "rate limit exceeded"}, {"Retry-After": "2.5"}
        ),
        kind=Call.SUBMIT,
    )
    assert isinstance(limited, RateLimitedError) and limited.retry_after == 2.5
    assert (
        type(
            map_error(
                _api_error(401, {"code": 40110000, "message": "unauthorized"}), kind=Call.SUBMIT
            )
        )
        is AuthenticationError
    )


def test_403_means_credentials_only_on_the_account_read() -> None:
    body = {"code": 40310000, "message": "forbidden"}
    assert type(map_error(_api_error(403, body), kind=Call.ACCOUNT)) is AuthenticationError
    other = map_error(_api_error(403, body))
    assert type(other) is BrokerError and "HTTP 403" in str(other)


def test_data_403_names_the_feed() -> None:
    body = {"message": "subscription does not permit querying recent SIP data"}
    error = map_error(_api_error(403, body), kind=Call.DATA, feed="sip")
    assert type(error) is DataSubscriptionError  # a setting to change (exit 2), not the keys
    assert "your data subscription does not include the sip feed; set the feed to iex" in str(error)
    assert "iex feed" in str(map_error(_api_error(403, body), kind=Call.DATA, feed="iex"))


def test_5xx_404_and_transport_failures() -> None:
    html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
    unavailable = map_error(_api_error(502, html), kind=Call.SUBMIT)
    assert type(unavailable) is BrokerUnavailableError and "<html>" not in str(unavailable)
    assert type(map_error(_api_error(504, html))) is BrokerTimeoutError
    assert type(map_error(_api_error(404, {"code": 40410000, "message": "not found"}))) is (
        NotFoundError
    )
    assert type(map_error(requests.ReadTimeout())) is BrokerTimeoutError
    assert type(map_error(requests.ConnectionError())) is BrokerUnavailableError
