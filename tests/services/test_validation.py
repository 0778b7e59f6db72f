"""Validators: good values are normalised, bad ones refused with a readable sentence."""
from datetime import date, timedelta

import pytest

from cone.services import validation as v
from cone.services.validation import Invalid


def good(fn, raw, expected):
    assert fn(raw) == expected


def bad(fn, raw, words):
    with pytest.raises(Invalid) as err:
        fn(raw)
    assert isinstance(err.value, ValueError)
    message = str(err.value)
    assert words.lower() in message.lower()
    assert message.endswith(".")


@pytest.mark.parametrize("raw, expected", [
    ("01234567", "01234567"), ("1234567", "01234567"), ("  123 ", "00000123"),
    ("sc123456", "SC123456"), ("SC 123 456", "SC123456"), ("ni012345", "NI012345"),
    ("OC301234", "OC301234"), ("R0123456", "R0123456"), ("LP012345", "LP012345"),
    ("fc1234", "FC001234"), ("SO300001", "SO300001"), ("IP123456", "IP123456"),
])
def test_company_number_good(raw, expected):
    good(v.company_number, raw, expected)


@pytest.mark.parametrize("raw, words", [
    ("123456789", "8 characters"), ("XX123456", "not a Companies House prefix"),
    ("SC1234567", "8 characters"), ("00000000", "all zeros"), ("SC000000", "all zeros"),
    ("ACME", "company number like"), ("12-34567", "company number like"), ("", "company number"),
])
def test_company_number_bad(raw, words):
    bad(v.company_number, raw, words)


@pytest.mark.parametrize("raw, expected", [
    ("GB 980 7806 84", "GB980780684"), ("980780684", "GB980780684"),
    ("gb980780684", "GB980780684"), ("GB 100 0000 34", "GB100000034"),
    ("GB980780684001", "GB980780684001"), ("GBGD001", "GBGD001"),
])
def test_vat_number_good(raw, expected):
    good(v.vat_number, raw, expected)


@pytest.mark.parametrize("raw", ["GB 123 4567 89", "GB98078068", "GB9807806845", "FR980780684",
                                 "GBGD888", "VAT"])
def test_vat_number_bad(raw):
    bad(v.vat_number, raw, "valid UK VAT number")


@pytest.mark.parametrize("raw, expected", [
    ("1955839661", "1955839661"), ("19558 39661", "1955839661"), ("1955839661K", "1955839661"),
    ("19558 39661 k", "1955839661"),
])
def test_utr_good(raw, expected):
    good(v.utr, raw, expected)


@pytest.mark.parametrize("raw, words", [
    ("2134567890", "not valid"), ("195583966", "10 digits"), ("19558396611", "10 digits"),
    ("19558A9661", "10 digits"), ("K", "10 digits"),
])
def test_utr_bad(raw, words):
    bad(v.utr, raw, words)


@pytest.mark.parametrize("raw, expected", [
    ("AB123456C", "AB123456C"), ("ab 12 34 56 c", "AB123456C"), ("JG103759A", "JG103759A"),
    ("ZY123456D", "ZY123456D"), ("AP123456A", "AP123456A"),
])
def test_ni_number_good(raw, expected):
    good(v.ni_number, raw, expected)


@pytest.mark.parametrize("raw", [
    "DA123456A", "FA123456A", "IA123456A", "QQ123456C", "UA123456A", "VA123456A",  # first letter
    "AD123456A", "AO123456A", "AQ123456A", "AV123456A",                            # second letter
    "BG123456A", "GB123456A", "NK123456A", "KN123456A", "TN123456A", "NT123456A", "ZZ123456A",
    "AB123456E", "AB123456", "AB12345C", "AB1234567C", "12AB3456C",
])
def test_ni_number_bad(raw):
    bad(v.ni_number, raw, "National Insurance number")


@pytest.mark.parametrize("raw, expected", [
    ("SW1A 1AA", "SW1A 1AA"), ("sw1a1aa", "SW1A 1AA"), (" m1 1ae ", "M1 1AE"),
    ("B33 8TH", "B33 8TH"), ("CR2 6XH", "CR2 6XH"), ("DN55 1PT", "DN55 1PT"),
    ("W1A 0AX", "W1A 0AX"), ("EC1A 1BB", "EC1A 1BB"), ("BT1 5GS", "BT1 5GS"),
    ("GIR 0AA", "GIR 0AA"), ("  eh1   1yz", "EH1 1YZ"),
])
def test_postcode_good(raw, expected):
    good(v.postcode, raw, expected)


@pytest.mark.parametrize("raw", ["SW1A", "12345", "SW1A 1A", "QA1 1AA", "SW1A 1AAA", "SW1A-1AA",
                                 "ZZZ 1AA", "SW1A 1CA"])
def test_postcode_bad(raw):
    bad(v.postcode, raw, "UK postcode")


@pytest.mark.parametrize("raw, expected", [
    ("jane@example.com", "jane@example.com"), (" Jane.Doe@EXAMPLE.co.uk ", "Jane.Doe@example.co.uk"),
    ("o'brien+tax@example.org", "o'brien+tax@example.org"),
])
def test_email_good(raw, expected):
    good(v.email, raw, expected)


@pytest.mark.parametrize("raw", ["jane", "jane@", "@example.com", "jane@@example.com",
                                 "jane doe@example.com", "jane@example"])
def test_email_bad(raw):
    bad(v.email, raw, "valid e-mail address")


@pytest.mark.parametrize("raw, expected", [
    ("020 7946 0000", "020 7946 0000"), ("+44 (0)20 7946-0000", "+44 (0)20 7946-0000"),
    ("07700900123", "07700900123"), ("  0161   496 0000 ", "0161 496 0000"), ("1234567", "1234567"),
])
def test_phone_good(raw, expected):
    good(v.phone, raw, expected)


@pytest.mark.parametrize("raw", ["123456", "1234567890123456", "020 7946 0000 ext 2",
                                 "44+20 7946 0000", "phone me", "0207.946.0000"])
def test_phone_bad(raw):
    bad(v.phone, raw, "7 to 15 digits")


@pytest.mark.parametrize("raw, expected", [
    ("123/AB45678", "123/AB45678"), ("123/ab45678", "123/AB45678"), ("123 / A", "123/A"),
    ("961/1234567890", "961/1234567890"),
])
def test_paye_reference_good(raw, expected):
    good(v.paye_reference, raw, expected)


@pytest.mark.parametrize("raw", ["123AB45678", "12/AB45678", "123/", "123/ABCDEFGHIJK", "ABC/123"])
def test_paye_reference_bad(raw):
    bad(v.paye_reference, raw, "PAYE reference like")


@pytest.mark.parametrize("raw, expected", [
    ("123PA12345678", "123PA12345678"), ("123 pa 1234 567x", "123PA1234567X"),
])
def test_accounts_office_reference_good(raw, expected):
    good(v.accounts_office_reference, raw, expected)


@pytest.mark.parametrize("raw", ["123PA1234567", "123XA12345678", "123P112345678", "123PA1234567Y",
                                 "12PA123456789"])
def test_accounts_office_reference_bad(raw):
    bad(v.accounts_office_reference, raw, "13 characters")


@pytest.mark.parametrize("raw, expected", [("abc123", "ABC123"), (" A1B 2C3", "A1B2C3")])
def test_ch_auth_code_good(raw, expected):
    good(v.ch_auth_code, raw, expected)


@pytest.mark.parametrize("raw", ["ABC12", "ABC1234", "AB-123", "ÄBC123"])
def test_ch_auth_code_bad(raw):
    bad(v.ch_auth_code, raw, "6 letters or digits")


@pytest.mark.parametrize("raw, expected", [
    ("62020", ["62020"]), ("6202, 70229", ["06202", "70229"]),
    ("62020 62020,69201;  ", ["62020", "69201"]), ("", []),
])
def test_sic_codes_good(raw, expected):
    good(v.sic_codes, raw, expected)


@pytest.mark.parametrize("raw", ["620", "620201", "6202A", "62020, software"])
def test_sic_codes_bad(raw):
    bad(v.sic_codes, raw, "not a SIC code")


@pytest.mark.parametrize("raw, expected", [
    ("example.co.uk", "https://example.co.uk"), ("www.example.com/about", "https://www.example.com/about"),
    ("HTTP://example.com", "http://example.com"), ("https://sub.example.org:8443/x?y=1",
                                                   "https://sub.example.org:8443/x?y=1"),
    ("münchen.de", "https://münchen.de"),
])
def test_website_good(raw, expected):
    good(v.website, raw, expected)


@pytest.mark.parametrize("raw", ["localhost", "ftp://example.com", "https://exa mple.com", "http://",
                                 "example.com:port", "-bad-.com", "javascript:alert(1)"])
def test_website_bad(raw):
    bad(v.website, raw, "web address")


def test_past_date():
    today = date.today()
    assert v.past_date(today, "Date of birth") == today
    assert v.past_date(date(1950, 5, 1), "Date of birth") == date(1950, 5, 1)
    bad(lambda d: v.past_date(d, "Date of birth"), today + timedelta(days=1),
        "Date of birth cannot be in the future.")
    bad(lambda d: v.past_date(d, "Incorporation date"), date(1066, 10, 14), "too far in the past")


@pytest.mark.parametrize("day, month", [(31, 3), (5, 4), (30, 4), (29, 2), (28, 2), (31, 12), (1, 1)])
def test_year_end_good(day, month):
    assert v.year_end(day, month) == (day, month)


@pytest.mark.parametrize("day, month, words", [
    (31, 4, "April has 30 days"), (30, 2, "February has 29 days"), (0, 1, "January has 31 days"),
    (1, 13, "between January and December"), (1, 0, "between January and December"),
])
def test_year_end_bad(day, month, words):
    with pytest.raises(Invalid, match=words):
        v.year_end(day, month)
