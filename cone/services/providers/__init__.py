"""Adapters for outside services: each speaks one provider's wire format with httpx and
returns neutral dataclasses (accounting.py, companies_house.py) or raises the errors in base.py.
Built from configuration in cone/wiring.py.
"""
