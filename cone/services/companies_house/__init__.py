"""Clients mapped to Companies House: create, link, resync, unlink, people, bulk work.

This module only re-exports the package's public names; its own modules import each other
directly, never this one.
"""
from cone.services.companies_house.sync import (OWNED, AlreadyLinked, DuplicateCompany,
                                                create_from_companies_house, entity_type,
                                                find_by_number, link_company, prefill_data,
                                                preview_link, resync, unlink)
from cone.services.companies_house.people import (CannotAddPerson, add_person_as_contact,
                                                  person_name)
from cone.services.companies_house.bulk import (NumberResult, import_numbers)
from cone.services.companies_house.runs import (mapped_client_ids, run_resync_all,
                                                start_resync_all)

__all__ = [
    "OWNED", "AlreadyLinked", "DuplicateCompany", "create_from_companies_house", "entity_type",
    "find_by_number", "link_company", "prefill_data", "preview_link", "resync", "unlink",
    "CannotAddPerson", "add_person_as_contact", "person_name", "NumberResult", "import_numbers",
    "mapped_client_ids", "run_resync_all", "start_resync_all"
]
