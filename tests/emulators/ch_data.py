"""Realistic (fictional) companies served by the Companies House emulator, in wire format.

Shapes follow the live API: optional members omitted, zero-padded strings for the accounting
reference date, undocumented extra members, people as "SURNAME, Forenames" (officers) and
"Mr Forenames Surname" (PSCs). John Andrew SMITH (born 5/1970) sits on two boards.
"""

SMITH = {"name": "SMITH, John Andrew", "officer_role": "director", "appointed_on": "2015-03-02",
         "date_of_birth": {"month": 5, "year": 1970}, "nationality": "British",
         "occupation": "Company Director", "country_of_residence": "England",
         "address": {"premises": "12", "address_line_1": "Canal Street", "locality": "Manchester",
                     "postal_code": "M1 3HE", "country": "England"}}
SMITH_PSC = {"kind": "individual-person-with-significant-control", "name": "Mr John Andrew Smith",
             "name_elements": {"title": "Mr", "forename": "John", "middle_name": "Andrew",
                               "surname": "Smith"},
             "notified_on": "2016-04-06", "date_of_birth": {"month": 5, "year": 1970},
             "nationality": "British", "country_of_residence": "England",
             "natures_of_control": ["ownership-of-shares-75-to-100-percent",
                                    "voting-rights-75-to-100-percent",
                                    "right-to-appoint-and-remove-directors"],
             "address": {"address_line_1": "Canal Street", "locality": "Manchester"}}


def _accounts(ard, next_due, next_end, last, overdue=False):
    return {"accounting_reference_date": {"day": ard[0], "month": ard[1]},
            "next_due": next_due, "next_made_up_to": next_end, "overdue": overdue,
            "next_accounts": {"period_start_on": "2025-04-01", "period_end_on": next_end,
                              "due_on": next_due, "overdue": overdue},
            "last_accounts": {"made_up_to": last, "period_end_on": last, "type": "micro-entity"}}


def _office(premises, line1, town, postcode, country="England", **more):
    return {"premises": premises, "address_line_1": line1, "locality": town,
            "postal_code": postcode, "country": country, **more}


COMPANIES = [
    {  # a private limited company
        "profile": {
            "company_name": "NORTHWIND ANALYTICS LTD", "company_number": "09876543",
            "company_status": "active", "type": "ltd", "jurisdiction": "england-wales",
            "date_of_creation": "2015-03-02", "sic_codes": ["62020", "62090"],
            "registered_office_address": _office("12", "Canal Street", "Manchester", "M1 3HE"),
            "accounts": _accounts(("31", "03"), "2026-12-31", "2026-03-31", "2025-03-31"),
            "confirmation_statement": {"last_made_up_to": "2025-03-01", "next_due": "2026-03-15",
                                       "next_made_up_to": "2026-03-01", "overdue": False},
            "has_charges": False, "has_insolvency_history": False, "can_file": True,
            "undeliverable_registered_office_address": False,
            "registered_office_is_in_dispute": False, "has_super_secure_pscs": False,
            "status": "active", "etag": "4f1e8c0b2d9a7e6f5a4b3c2d1e0f9a8b7c6d5e4f",
            "some_new_member": {"nested": [1, 2, 3]}},
        "officers": [
            SMITH,
            {"name": "PATEL, Priya", "officer_role": "director", "appointed_on": "2018-09-10",
             "date_of_birth": {"month": 11, "year": 1984}, "nationality": "British",
             "occupation": "Data Scientist", "country_of_residence": "United Kingdom",
             "address": {"address_line_1": "Canal Street", "locality": "Manchester"},
             "person_number": "123456780001"},
            {"name": "SMITH, Helen", "officer_role": "secretary", "appointed_on": "2015-03-02",
             "address": {"address_line_1": "Canal Street", "locality": "Manchester"}},
        ],
        "pscs": [SMITH_PSC],
    },
    {  # an LLP: no SIC codes, members instead of directors
        "profile": {
            "company_name": "HARBOUR LANE PARTNERS LLP", "company_number": "OC412345",
            "company_status": "active", "type": "llp", "jurisdiction": "england-wales",
            "date_of_creation": "2016-06-20",
            "registered_office_address": _office("Harbour House", "1 Harbour Lane", "Bristol",
                                                 "BS1 4RN"),
            "accounts": _accounts(("30", "06"), "2027-03-31", "2026-06-30", "2025-06-30"),
            "confirmation_statement": {"next_due": "2026-07-04", "next_made_up_to": "2026-06-20",
                                       "overdue": False},
            "etag": "aa11"},
        "officers": [
            {"name": "JONES, Rhiannon Mair", "officer_role": "llp-designated-member",
             "appointed_on": "2016-06-20", "date_of_birth": {"month": 2, "year": 1979},
             "country_of_residence": "Wales", "address": {"locality": "Cardiff"}},
            {"name": "O'BRIEN, Sean", "officer_role": "llp-member",
             "appointed_on": "2019-01-07", "date_of_birth": {"month": 8, "year": 1988},
             "address": {"locality": "Bristol"}},
            {"name": "HARBOUR NOMINEES LIMITED", "officer_role": "corporate-llp-designated-member",
             "appointed_on": "2016-06-20",
             "identification": {"identification_type": "uk-limited-company",
                                "registration_number": "05555555"},
             "address": {"locality": "Bristol"}},
        ],
        "pscs": [],
        "statements": [{"kind": "persons-with-significant-control-statement",
                        "statement": "no-individual-or-entity-with-signficant-control",
                        "notified_on": "2016-06-20", "etag": "st1"}],
    },
    {  # a PLC with more officers than one small page
        "profile": {
            "company_name": "BRITANNIA ROPE WORKS PLC", "company_number": "03456789",
            "company_status": "active", "type": "plc", "date_of_creation": "1997-11-27",
            "sic_codes": ["13940"],
            "registered_office_address": _office("Unit 4", "Dockside Road", "Hull", "HU1 1AA",
                                                 region="East Riding of Yorkshire"),
            "accounts": _accounts(("31", "12"), "2026-09-30", "2025-12-31", "2024-12-31"),
            "confirmation_statement": {"next_due": "2026-12-11", "next_made_up_to": "2026-11-27",
                                       "overdue": False},
            "etag": "bb22"},
        "officers": [
            {"name": f"{surname}, {first}", "officer_role": role, "appointed_on": appointed,
             "date_of_birth": {"month": m, "year": y}, "nationality": "British",
             "occupation": job}
            for surname, first, role, appointed, m, y, job in [
                ("WRIGHT", "Margaret Anne", "director", "2010-01-04", 3, 1961, "Chair"),
                ("OKAFOR", "Chinedu", "director", "2014-05-12", 7, 1975, "Finance Director"),
                ("BELL", "Thomas", "director", "2019-10-01", 12, 1980, "Engineer"),
                ("NAKAMURA", "Yuki", "director", "2021-02-15", 4, 1986, "Sales Director"),
                ("HUGHES", "Gareth", "secretary", "2012-06-30", 9, 1970, "Company Secretary"),
            ]],
        "pscs": [],
        "statements": [{"kind": "persons-with-significant-control-statement",
                        "statement": "psc-exists-but-not-identified", "notified_on": "2016-06-30"}],
    },
    {  # a dissolved company: no confirmation statement, accounts keep only the ARD and last
        "profile": {
            "company_name": "OLD MILL BAKERY LIMITED", "company_number": "07654321",
            "company_status": "dissolved", "type": "ltd", "date_of_creation": "2011-05-16",
            "date_of_cessation": "2022-08-09", "sic_codes": ["10710"],
            "registered_office_address": _office("The Old Mill", "Mill Lane", "Bakewell",
                                                 "DE45 1HP"),
            "accounts": {"accounting_reference_date": {"day": "31", "month": "05"},
                         "last_accounts": {"made_up_to": "2020-05-31", "type": "null"}},
            "can_file": False, "etag": "cc33"},
        "officers": [
            {"name": "BAKER, Alice", "officer_role": "director", "appointed_on": "2011-05-16",
             "resigned_on": "2022-08-09", "date_of_birth": {"month": 1, "year": 1965}}],
        "pscs": [],
    },
    {  # overdue accounts and confirmation statement
        "profile": {
            "company_name": "LATE FILERS LTD", "company_number": "08123456",
            "company_status": "active", "company_status_detail": "active-proposal-to-strike-off",
            "type": "ltd", "date_of_creation": "2012-07-02", "sic_codes": ["70229"],
            "registered_office_address": {"address_line_1": "1 High Street",
                                          "postal_code": "OX1 1AA"},
            "accounts": _accounts(("31", "07"), "2025-04-30", "2024-07-31", "2023-07-31",
                                  overdue=True),
            "confirmation_statement": {"next_due": "2025-07-16", "next_made_up_to": "2025-07-02",
                                       "overdue": True},
            "etag": "dd44"},
        "officers": [
            {"name": "GREEN, Oliver", "officer_role": "director", "appointed_on": "2012-07-02",
             "date_of_birth": {"month": 6, "year": 1990}}],
        "pscs": [{"kind": "individual-person-with-significant-control",
                  "name": "Mr Oliver Green", "notified_on": "2016-07-02",
                  "date_of_birth": {"month": 6, "year": 1990},
                  "natures_of_control": ["ownership-of-shares-75-to-100-percent"]}],
    },
    {  # previous names (newest first), a Scottish number
        "profile": {
            "company_name": "THISTLE & CO. LIMITED", "company_number": "SC123456",
            "company_status": "active", "type": "ltd", "jurisdiction": "scotland",
            "date_of_creation": "1992-02-03", "sic_codes": ["47110", "56101"],
            "registered_office_address": _office("4", "Rose Street", "Edinburgh", "EH2 2PR",
                                                 country="Scotland"),
            "accounts": _accounts(("28", "02"), "2026-11-30", "2026-02-28", "2025-02-28"),
            "confirmation_statement": {"next_due": "2026-02-17", "next_made_up_to": "2026-02-03",
                                       "overdue": False},
            "previous_company_names": [
                {"name": "THISTLE TRADING LIMITED", "effective_from": "2001-04-01",
                 "ceased_on": "2014-09-30"},
                {"name": "MACLEOD GROCERS LIMITED", "effective_from": "1992-02-03",
                 "ceased_on": "2001-04-01"}],
            "etag": "ee55"},
        "officers": [
            {"name": "MACLEOD, Fiona", "officer_role": "director", "appointed_on": "1992-02-03",
             "date_of_birth": {"month": 10, "year": 1958}, "nationality": "British",
             "country_of_residence": "Scotland"}],
        "pscs": [{"kind": "individual-person-with-significant-control",
                  "name": "Mrs Fiona Macleod", "notified_on": "2016-04-06",
                  "date_of_birth": {"month": 10, "year": 1958},
                  "natures_of_control": ["significant-influence-or-control"]}],
    },
    {  # resigned officers, a corporate PSC, a legal-person PSC and a ceased PSC
        "profile": {
            "company_name": "GREENFIELD HOLDINGS LIMITED", "company_number": "11223344",
            "company_status": "active", "type": "ltd", "date_of_creation": "2018-03-05",
            "sic_codes": ["64209"],
            "registered_office_address": _office("Suite 2", "Station Approach", "Leeds",
                                                 "LS1 4DY", care_of="Greenfield Accountants"),
            "accounts": _accounts(("31", "03"), "2026-12-31", "2026-03-31", "2025-03-31"),
            "confirmation_statement": {"next_due": "2026-03-19", "next_made_up_to": "2026-03-05",
                                       "overdue": False},
            "etag": "ff66"},
        "officers": [
            dict(SMITH, appointed_on="2018-03-05"),
            {"name": "TAYLOR, Mark", "officer_role": "director", "appointed_on": "2018-03-05",
             "resigned_on": "2020-12-31", "date_of_birth": {"month": 4, "year": 1972},
             "nationality": "British", "occupation": "Accountant"},
            {"name": "EVANS, Sarah", "officer_role": "secretary", "appointed_on": "2018-03-05",
             "resigned_on": "2019-06-30"},
        ],
        "pscs": [
            {"kind": "corporate-entity-person-with-significant-control",
             "name": "GREENFIELD GROUP LIMITED", "notified_on": "2018-03-05",
             "natures_of_control": ["ownership-of-shares-75-to-100-percent",
                                    "voting-rights-75-to-100-percent"],
             "identification": {"legal_form": "Private Limited Company",
                                "legal_authority": "Companies Act 2006",
                                "place_registered": "Register Of Companies",
                                "country_registered": "England",
                                "registration_number": "10999888"},
             "address": {"premises": "1", "address_line_1": "Park Row", "locality": "Leeds"}},
            {"kind": "legal-person-person-with-significant-control",
             "name": "THE LEEDS CIVIC TRUST AUTHORITY", "notified_on": "2019-01-01",
             "natures_of_control": ["significant-influence-or-control"],
             "identification": {"legal_form": "Statutory Body",
                                "legal_authority": "Local Government Act 1972"}},
            {"kind": "individual-person-with-significant-control", "name": "Mr Mark Taylor",
             "notified_on": "2018-03-05", "ceased_on": "2020-12-31", "ceased": True,
             "date_of_birth": {"month": 4, "year": 1972},
             "natures_of_control": ["ownership-of-shares-25-to-50-percent"]},
        ],
    },
    {  # a sparse stub: no status, no dates, no accounts, an address without town or country
        "profile": {
            "company_name": "RIVERSIDE COMMUNITY ENERGY", "company_number": "CE000123",
            "type": "charitable-incorporated-organisation",
            "registered_office_address": {"address_line_1": "Riverside Hall"},
            "external_registration_number": "1180000", "links": {"self": "/company/CE000123"}},
        "officers": [],
        "pscs": [],
    },
]
