"""The program loader: shipped programs load; bad programs fail naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from processors.programs import ProgramError, TierMode, VolumeRebate, load_programs
from tests.unit.ledger.builders import RETRO_TIERS, at, program

PROGRAMS = Path(__file__).resolve().parents[3] / "deploy" / "programs"
GOOD = """
program_id = "p"
version = 1
currency = "USD"
effective_from = 2026-01-01
eligible_partner_types = ["VAR"]
period = "month"

[[rules]]
id = "volume"
kind = "volume_rebate"
mode = "retroactive"
tiers = [{ name = "a", from = 0, rate = 0.02 }, { name = "b", from = 1000, rate = 0.03 }]
"""


def test_shipped_programs_load_with_versions_by_business_time() -> None:
    programs = load_programs(PROGRAMS)
    assert programs.program_ids == ("distributor-growth", "var-advantage")
    var_h1 = programs.effective("var-advantage", at("2026-06-30T23:59:59"))
    var_h2 = programs.effective("var-advantage", at("2026-07-01"))
    assert var_h1 is not None and var_h2 is not None and (var_h1.version, var_h2.version) == (1, 2)
    volume = var_h2.rules[0]
    assert isinstance(volume, VolumeRebate) and volume.mode is TierMode.RETROACTIVE
    assert str(volume.tiers[-1].rate) == "0.045"
    assert programs.effective("var-advantage", at("2025-12-31")) is None
    pinned = programs.pin("var-advantage", 2)
    early = pinned.effective("var-advantage", at("2026-02-01"))
    assert early is not None and early.version == 2


def _write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (('kind = "volume_rebate"', 'kind = "volume_rebat"'), "rules[0].kind", "unknown rule kind"),
        (("from = 1000", "from = 0"), "rules[0].tiers[1].from", "tiers overlap"),
        (("rate = 0.03", "rate = -0.03"), "rules[0].tiers[1].rate", "negative rate"),
        (('currency = "USD"\n', ""), "currency", "missing"),
        (
            ("effective_from = 2026-01-01", "effective_from = 2026-01-01\neffective_to = 2025-12-01"),
            "effective_to",
            "is not after",
        ),
        (('period = "month"', 'period = "week"'), "period", "expected 'month' or 'quarter'"),
        (
            ('mode = "retroactive"', 'mode = "retroactive"\nrequires_certificaton = true'),
            "rules[0].requires_certificaton",
            "unknown field",
        ),
        (('["VAR"]', '["WIZARD"]'), "eligible_partner_types", "unknown partner type"),
    ],
)
def test_bad_program_is_refused_naming_file_and_field(
    tmp_path: Path, edit: tuple[str, str], field: str, message: str
) -> None:
    path = _write(tmp_path, GOOD.replace(*edit))
    with pytest.raises(ProgramError) as caught:
        load_programs(path)
    assert str(caught.value).startswith(f"{path}: {field}: ")
    assert message in str(caught.value)


def test_good_yaml_program_loads(tmp_path: Path) -> None:
    yaml_text = """
program_id: p
version: 1
currency: EUR
effective_from: 2026-01-01
eligible_partner_types: [DISTRIBUTOR]
period: quarter
rules:
  - {id: mdf, kind: allowance, allowance: marketing, rate: 0.015, expiry_days: 90}
  - {id: care, kind: care_bonus, min_csat: 4.2, max_avg_resolution_hours: 36, amount: 500}
"""
    programs = load_programs(_write(tmp_path, yaml_text, "p.yaml"))
    loaded = programs.versions("p")[0]
    assert loaded.currency == "EUR" and str(loaded.allowances[next(iter(loaded.allowances))].rate) == "0.015"


def test_duplicate_versions_and_currency_changes_across_files_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, GOOD, "a.toml")
    _write(tmp_path, GOOD, "b.toml")
    with pytest.raises(ProgramError, match="version 1 is defined twice"):
        load_programs(tmp_path)
    _write(tmp_path, GOOD.replace("version = 1", "version = 2").replace('"USD"', '"EUR"'), "b.toml")
    with pytest.raises(ProgramError, match=r"b\.toml: currency: EUR differs from USD"):
        load_programs(tmp_path)


def test_rule_level_errors() -> None:
    with pytest.raises(ProgramError, match=r"rules\[0\]\.skus: a SPIFF names"):
        program(
            [
                {
                    "id": "s",
                    "kind": "spiff",
                    "amount_per_unit": 5,
                    "window_start": "2026-01-01",
                    "window_end": "2026-02-01",
                }
            ]
        )
    with pytest.raises(ProgramError, match=r"rules\[0\]\.window_end: .* is not after window_start"):
        program(
            [
                {
                    "id": "s",
                    "kind": "spiff",
                    "skus": ["X"],
                    "amount_per_unit": 5,
                    "window_start": "2026-02-01",
                    "window_end": "2026-01-01",
                }
            ]
        )
    with pytest.raises(ProgramError, match=r"rules\[1\]\.id: duplicate rule id"):
        program([{"id": "v", "kind": "volume_rebate", "mode": "marginal", "tiers": RETRO_TIERS}] * 2)
    with pytest.raises(ProgramError, match=r"tiers\[0\]\.from: the first tier must start at 0"):
        program([{"id": "v", "kind": "volume_rebate", "mode": "marginal", "tiers": RETRO_TIERS[1:]}])
    with pytest.raises(ProgramError, match=r"per_unit: give exactly one"):
        program([{"id": "a", "kind": "allowance", "allowance": "transport", "expiry_days": 10}])
