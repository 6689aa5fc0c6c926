"""Incentive programs: versioned configuration, its typed model and rule evaluation."""

from processors.programs.book import ProgramBook, ProgramError
from processors.programs.loader import load_programs, parse_program
from processors.programs.model import (
    AllowanceAccrual,
    CareBonus,
    GrowthRebate,
    Program,
    RegistrationBonus,
    Rule,
    SaleFilter,
    SaleRule,
    Spiff,
    Tier,
    TierMode,
    VolumeRebate,
)
from processors.programs.periods import PeriodKind, period_bounds, period_label

__all__ = [
    "AllowanceAccrual",
    "CareBonus",
    "GrowthRebate",
    "PeriodKind",
    "Program",
    "ProgramBook",
    "ProgramError",
    "RegistrationBonus",
    "Rule",
    "SaleFilter",
    "SaleRule",
    "Spiff",
    "Tier",
    "TierMode",
    "VolumeRebate",
    "load_programs",
    "parse_program",
    "period_bounds",
    "period_label",
]
