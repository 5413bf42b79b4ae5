"""peewee models only. Feature packages add their modules to MODEL_MODULES' registry via `all_models()`."""
from __future__ import annotations

from kiosk.models.audit import AuditEntry, LocalState, Outbox
from kiosk.models.base import BaseModel, FactModel, SchoolModel, database_proxy
from kiosk.models.people import ROLES, Building, LoginState, Role, Room, School, Staff, Student
from kiosk.models.stations import StationInfo

CORE_MODELS = [School, Building, Room, Student, Staff, LoginState, AuditEntry, LocalState, Outbox, StationInfo]


def all_models() -> list[type[BaseModel]]:
    """Every table the migrations must create, core first, then each feature's models."""
    from kiosk import features

    models = list(CORE_MODELS)
    for feature in features.loaded():
        models.extend(feature.models)
    return models


__all__ = [
    "AuditEntry", "BaseModel", "Building", "CORE_MODELS", "FactModel", "LocalState", "LoginState", "Outbox",
    "ROLES", "Role", "Room", "School", "SchoolModel", "StationInfo", "Staff", "Student", "all_models", "database_proxy",
]
