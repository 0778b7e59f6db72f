"""Adapters for outside services: each speaks one provider's wire format with httpx and
returns neutral dataclasses (accounting.py, companies_house_records.py) or raises the errors
in base.py. Every request follows the one policy in http.py. Built from configuration in
cone/wiring.py (Companies House) and cone.services.connections (accounting platforms).
"""
