"""Schedules with their real meaning: HSDS 3.0 / RFC 5545 recurrence rules expanded over a reference period."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from circles.challenge.coverage import hours_table, need_coverage
from circles.challenge.directory import DirectoryError, ServiceDirectory, validate_directory
from circles.challenge.directory_yaml import read_services_yaml
from circles.challenge.hsds import export_hsds, import_hsds
from circles.challenge.open_referral import import_open_referral
from circles.challenge.schedules import opening_sessions, reference_period, rule_rows, schedule_summary
from circles.qualitative.model import Code, Codebook

#: 52 weeks from Monday 7 April 2025 (the first day of the 2025/26 financial year's first full week).
PERIOD = ("2025-04-07", "2026-04-06")
YEAR_2025 = ("2025-01-01", "2026-01-01")


def directory(*rules: dict[str, object]) -> ServiceDirectory:
    """Services named by the rules' ``service_id``s, with those schedule rows."""
    ids = list(dict.fromkeys(str(r["service_id"]) for r in rules))
    services = pd.DataFrame({"id": ids, "name": [i.title() for i in ids]})
    return ServiceDirectory(services=services, schedules=pd.DataFrame(list(rules)))


def session(service_id: str, weekday: int, opens: str, closes: str, **rule: object) -> dict[str, object]:
    return {"service_id": service_id, "weekday": weekday, "opens_at": opens, "closes_at": closes, **rule}


def dates(frame: pd.DataFrame) -> list[str]:
    return frame["date"].dt.strftime("%Y-%m-%d").tolist()


# ------------------------------------------------------------------------------------------------ hours a week
def test_fortnightly_monday_is_four_hours_a_week() -> None:
    d = directory(session("group", 0, "09:00", "17:00", interval=2), session("weekly", 0, "09:00", "17:00"))
    hours = hours_table(d, period=PERIOD).set_index("service_id")
    assert hours.loc["group", ["hours_per_week", "days_open", "current"]].tolist() == [4.0, 1, True]
    assert hours.loc["weekly", "hours_per_week"] == 8.0
    assert len(opening_sessions(d.schedules, PERIOD).query("service_id == 'group'")) == 26


def test_fortnightly_anchor_is_dtstart() -> None:
    d = directory(session("group", 0, "09:00", "17:00", interval=2, dtstart="2025-04-14"))
    found = dates(opening_sessions(d.schedules, PERIOD))
    assert found[:3] == ["2025-04-14", "2025-04-28", "2025-05-12"]
    assert len(found) == 26


def test_weekly_rows_give_the_same_hours_from_any_day() -> None:
    d = directory(*(session("gp", day, "08:00", "18:30") for day in range(5)))
    for start in ("2025-04-07", "2025-04-09", "2026-12-31"):
        hours = hours_table(d, period=reference_period(start)).iloc[0]
        assert hours[["hours_per_week", "evening_hours", "days_open"]].tolist() == [52.5, 7.5, 5]


def test_schedule_ended_before_the_period_is_not_current() -> None:
    d = directory(
        session("old", 2, "10:00", "12:00", valid_to="2019-03-31"),
        session("until", 3, "10:00", "12:00", until="2024-12-31"),
        session("new", 4, "10:00", "12:00", valid_from="2027-01-01"),
    )
    hours = hours_table(d, period=PERIOD).set_index("service_id")
    assert hours["current"].tolist() == [False, False, False]
    assert hours["hours_per_week"].tolist() == [0.0, 0.0, 0.0]
    assert hours["hours_known"].tolist() == [True, True, True]
    assert hours.loc["old", "not_current"] == "no session from 2025-04-07 to 2026-04-05: the schedule ended 2019-03-31"
    assert hours.loc["until", "not_current"].endswith("the schedule ended 2024-12-31")
    assert hours.loc["new", "not_current"].endswith("the schedule starts 2027-01-01")


def test_valid_to_inside_the_period_counts_the_weeks_before_it() -> None:
    # Mondays 7 April to 30 June 2025 inclusive: 13 sessions of 2 hours over 52 weeks
    d = directory(session("s", 0, "10:00", "12:00", valid_to="2025-06-30"))
    hours = hours_table(d, period=PERIOD).iloc[0]
    assert hours["hours_per_week"] == pytest.approx(13 * 2 / 52)
    assert hours["current"]
    assert hours["not_current"] == ""


def test_service_without_hours_is_current_and_unknown() -> None:
    d = ServiceDirectory(services=pd.DataFrame({"id": ["a"], "name": ["A"]}))
    hours = hours_table(d, period=PERIOD).iloc[0]
    assert (hours["hours_known"], hours["current"], hours["not_current"]) == (False, True, "")
    assert pd.isna(hours["hours_per_week"])


def test_need_coverage_leaves_out_services_not_current() -> None:
    book = Codebook((Code("NEE02", "Practical help with money and housing", "need"),))
    d = ServiceDirectory(
        services=pd.DataFrame({"id": ["old", "now"], "name": ["Old Drop-in", "Housing Options"]}),
        schedules=pd.DataFrame([session("old", 0, "09:00", "17:00", valid_to="2019-03-31")]),
        needs=pd.DataFrame({"service_id": ["old", "now"], "code_id": ["NEE02", "NEE02"]}),
    )
    current = need_coverage(d, book, period=PERIOD).iloc[0]
    assert (current["n_services"], current["services"]) == (1, "Housing Options")
    every = need_coverage(d, book, period=PERIOD, active_only=False).iloc[0]
    assert every["n_services"] == 2


# ------------------------------------------------------------------------------------------------ rules
def test_monthly_first_monday_and_last_friday() -> None:
    d = directory(
        session("cafe", 0, "10:00", "12:00", freq="MONTHLY", byday="1MO"),
        session("cafe", 4, "14:00", "15:00", freq="MONTHLY", byday="-1FR"),
    )
    found = opening_sessions(d.schedules, YEAR_2025)
    mondays = found[found["weekday"] == 0]
    fridays = found[found["weekday"] == 4]
    assert dates(mondays)[:4] == ["2025-01-06", "2025-02-03", "2025-03-03", "2025-04-07"]
    assert len(mondays) == 12
    assert dates(fridays)[:3] == ["2025-01-31", "2025-02-28", "2025-03-28"]
    hours = hours_table(d, period=YEAR_2025).iloc[0]
    # 12 x 2 h + 12 x 1 h over 365 days
    assert hours["hours_per_week"] == pytest.approx(36 / (365 / 7))


def test_count_limits_the_sessions() -> None:
    d = directory(session("course", -1, "18:00", "20:00", byday="MO,WE", count=3, dtstart="2025-01-06"))
    assert dates(opening_sessions(d.schedules, YEAR_2025)) == ["2025-01-06", "2025-01-08", "2025-01-13"]
    hours = hours_table(d, period=YEAR_2025).iloc[0]
    assert hours["hours_per_week"] == pytest.approx(6 / (365 / 7))
    later = hours_table(d, period=("2025-02-01", "2025-03-01")).iloc[0]
    assert not later["current"]
    assert later["not_current"].endswith("its 3 sessions fall outside it")


def test_byweekno() -> None:
    # ISO week 1 of 2025 starts on Monday 30 December 2024; week 1 of 2026 on Monday 29 December 2025
    d = directory(session("s", 0, "09:00", "10:00", byweekno="1,2"))
    assert dates(opening_sessions(d.schedules, YEAR_2025)) == ["2025-01-06", "2025-12-29"]


def test_bymonthday_and_every_other_day() -> None:
    d = directory(
        session("mid", -1, "09:00", "10:00", freq="MONTHLY", bymonthday="15,-1"),
        session("alt", -1, "09:00", "10:00", freq="DAILY", interval=2, dtstart="2025-01-01"),
    )
    found = opening_sessions(d.schedules, ("2025-01-01", "2025-03-01"))
    assert dates(found[found["service_id"] == "mid"]) == ["2025-01-15", "2025-01-31", "2025-02-15", "2025-02-28"]
    assert len(found[found["service_id"] == "alt"]) == 30  # 59 days, every other day from 1 January
    summary = schedule_summary(d.schedules, reference_period("2025-01-06")).set_index("service_id")
    assert summary.loc["alt", "hours_per_week"] == 3.5  # 182 sessions of 1 hour in 52 weeks


def test_overlapping_sessions_merge_across_rules() -> None:
    d = directory(session("s", 0, "09:00", "13:00"), session("s", 0, "12:00", "18:00", interval=2))
    found = opening_sessions(d.schedules, ("2025-04-07", "2025-04-21"))
    assert found[["opens_at", "closes_at", "hours"]].values.tolist() == [
        ["09:00", "18:00", 9.0],
        ["09:00", "13:00", 4.0],
    ]


def test_rule_rows_split_overnight_with_dates_a_day_later() -> None:
    rows = rule_rows("22:00", "02:00", days=[(0, 6)], until="2025-06-29")
    assert [(r["weekday"], r["opens_at"], r["closes_at"], r["until"]) for r in rows] == [
        (6, "22:00", "24:00", "2025-06-29"),
        (0, "00:00", "02:00", "2025-06-30"),
    ]
    with pytest.raises(ValueError, match="cannot be split at midnight"):
        rule_rows("22:00", "02:00", days=[(0, 6)], interval=2)


# ------------------------------------------------------------------------------------------------ checks
def test_validate_names_table_row_and_column() -> None:
    d = directory(
        session("s", 0, "09:00", "10:00", freq="YEARLY"),
        session("s", 1, "09:00", "10:00", interval=0),
        session("s", 2, "09:00", "10:00", valid_from="2025-05-01", valid_to="2025-04-01"),
        session("s", 3, "09:00", "10:00", dtstart="01/02/2025"),
        session("s", 4, "09:00", "10:00", byday="1FR"),
    )
    with pytest.raises(DirectoryError) as caught:
        validate_directory(d)
    message = str(caught.value)
    assert "5 problems" in message
    assert "schedules row 1, column 'freq': freq 'YEARLY' is not one of WEEKLY, DAILY, MONTHLY." in message
    assert "schedules row 2, column 'interval': interval 0 is not at least 1" in message
    assert "schedules row 3, column 'valid_to': valid_to 2025-04-01 is before valid_from 2025-05-01." in message
    assert "schedules row 4, column 'dtstart': '01/02/2025' is not a date; write it as YYYY-MM-DD" in message
    assert "schedules row 5, column 'byday': '1FR': a week of the month (e.g. '1MO') needs freq MONTHLY." in message


def test_a_number_that_is_not_whole_is_a_clear_error() -> None:
    with pytest.raises(DirectoryError, match=r"schedules row 1, column 'interval': 'two' is not a whole number"):
        directory(session("s", 0, "09:00", "10:00", interval="two"))


def test_reference_period_errors() -> None:
    d = directory(session("s", 0, "09:00", "10:00"))
    with pytest.raises(DirectoryError, match=r"ends \(2025-01-01\) before it starts \(2025-02-01\)"):
        hours_table(d, period=("2025-02-01", "2025-01-01"))
    with pytest.raises(DirectoryError, match="the start of the reference period: '1/2/25' is not a date"):
        reference_period("1/2/25")
    assert reference_period(date(2025, 4, 7)) == (date(2025, 4, 7), date(2026, 4, 6))


# ------------------------------------------------------------------------------------------------ HSDS / ORUK
def _write(folder: Path, schedule: str) -> Path:
    folder.mkdir()
    (folder / "service.csv").write_text("id,name\ns1,Group\ns2,Old\n")
    (folder / "schedule.csv").write_text(schedule)
    return folder


def test_hsds_import_keeps_the_rule(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "hsds",
        "id,service_id,freq,interval,byday,bymonthday,byweekno,dtstart,until,count,valid_from,valid_to,"
        "opens_at,closes_at\n"
        "a,s1,WEEKLY,2,MO,,,2025-04-07,,,,,09:00:00Z,17:00:00Z\n"
        'b,s2,WEEKLY,1,"MO,TU",,,,,,2018-01-01,2019-03-31T00:00:00,10:00,12:00\n'
        'c,s1,MONTHLY,,"1WE,-1WE",,,,,4,,,13:00,14:00\n',
    )
    d = import_hsds(folder)
    rules = d.schedules.set_index(["service_id", "weekday"])
    assert rules.loc[("s1", 0), ["interval", "dtstart", "freq"]].tolist() == [2, "2025-04-07", "WEEKLY"]
    assert rules.loc[("s2", 1), ["valid_from", "valid_to"]].tolist() == ["2018-01-01", "2019-03-31"]
    assert rules.loc[("s1", -1), ["freq", "byday", "count"]].tolist() == ["MONTHLY", "1WE,-1WE", 4]
    hours = hours_table(d, period=PERIOD).set_index("service_id")
    assert hours.loc["s1", "hours_per_week"] == pytest.approx((26 * 8 + 4 * 1) / 52)
    assert not hours.loc["s2", "current"]


def test_hsds_round_trips_rules(tmp_path: Path) -> None:
    d = directory(
        session("s1", 0, "09:00", "17:00", interval=2, dtstart="2025-04-14"),
        session("s1", 2, "09:00", "17:00", interval=2, dtstart="2025-04-14"),
        session("s1", 0, "10:00", "12:00", freq="MONTHLY", byday="1MO,-1MO", valid_to="2026-01-31"),
        session("s1", -1, "18:00", "20:00", byday="TU,TH", count=6, dtstart="2025-05-06"),
        session("s2", -1, "09:00", "10:00", freq="MONTHLY", bymonthday="1,15", valid_from="2025-01-01"),
        session("s2", 4, "22:00", "24:00", until="2025-12-26"),
        session("s2", 5, "00:00", "02:00", until="2025-12-27", byweekno="10"),
    )
    d.services["status"] = d.services["status"].replace("", "active")  # HSDS requires a status
    export_hsds(d, tmp_path / "package")
    back = import_hsds(tmp_path / "package")
    assert back.equals(d)
    schedule = pd.read_csv(tmp_path / "package" / "schedules.csv", dtype=str, keep_default_na=False)
    written = schedule[["freq", "interval", "byday", "bymonthday", "dtstart", "until", "count", "opens_at"]]
    assert written.values.tolist() == [
        ["WEEKLY", "1", "TU,TH", "", "2025-05-06", "", "6", "18:00:00"],  # a count: one rule, not split by day
        ["WEEKLY", "2", "MO,WE", "", "2025-04-14", "", "", "09:00:00"],
        ["MONTHLY", "1", "1MO,-1MO", "", "", "", "", "10:00:00"],
        ["MONTHLY", "1", "", "1,15", "", "", "", "09:00:00"],
        ["WEEKLY", "1", "FR", "", "", "2025-12-26", "", "22:00:00"],
        ["WEEKLY", "1", "SA", "", "", "2025-12-27", "", "00:00:00"],
    ]


def test_unsupported_freq_and_overnight_rules_are_left_out_with_a_warning(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "hsds",
        "id,service_id,freq,interval,byday,opens_at,closes_at\n"
        "a,s1,YEARLY,,MO,09:00,17:00\n"
        "b,s1,WEEKLY,2,FR,22:00,02:00\n"
        "c,s2,WEEKLY,,FR,22:00,02:00\n",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = import_hsds(folder)
    messages = [str(w.message) for w in caught]
    assert any("row 1: schedule with freq 'YEARLY' is not weekly, daily or monthly; left out." in m for m in messages)
    assert any("row 2: an overnight session (22:00 to 02:00)" in m for m in messages)
    assert d.schedules[["service_id", "weekday", "opens_at", "closes_at"]].values.tolist() == [
        ["s2", 4, "22:00", "24:00"],
        ["s2", 5, "00:00", "02:00"],
    ]


def test_bad_rule_cells_name_file_row_and_column(tmp_path: Path) -> None:
    folder = _write(
        tmp_path / "oruk",
        "id,service_id,freq,interval,byday,bymonthday,valid_to,opens_at,closes_at\n"
        "a,s1,WEEKLY,0,MO,,,09:00,17:00\n"
        "b,s1,MONTHLY,1,,32,,09:00,17:00\n"
        "c,s2,WEEKLY,1,MO,,31/03/2019,09:00,17:00\n",
    )
    with pytest.raises(DirectoryError) as caught:
        import_open_referral(folder)
    message = str(caught.value)
    assert "schedule.csv row 1, column 'interval': '0' is not a whole number of at least 1." in message
    assert "schedule.csv row 2, column 'bymonthday': '32' is not a day of the month" in message
    assert "schedule.csv row 3, column 'valid_to': '31/03/2019' is not a date; write it as YYYY-MM-DD" in message


# ------------------------------------------------------------------------------------------------ YAML
def test_yaml_every_from_until(tmp_path: Path) -> None:
    path = tmp_path / "services.yaml"
    path.write_text(
        "services:\n"
        "  - id: group\n"
        "    name: Recovery Group\n"
        "    hours:\n"
        "      - {days: Mon, opens: 09:00, closes: 17:00, every: 2 weeks, from: 2025-04-14}\n"
        "      - {days: Wed, opens: 10:00, closes: 12:00, interval: 2}\n"
        "  - id: old\n"
        "    name: Old Drop-in\n"
        "    hours: [{days: Tue, opens: 10:00, closes: 12:00, until: 2019-03-31}]\n"
    )
    d = read_services_yaml(path)
    rules = d.schedules[["service_id", "weekday", "interval", "dtstart", "until"]].values.tolist()
    assert rules == [
        ["group", 0, 2, "2025-04-14", ""],
        ["group", 2, 2, "", ""],
        ["old", 1, 1, "", "2019-03-31"],
    ]
    hours = hours_table(d, period=PERIOD).set_index("service_id")
    # Mondays from 14 April: the 2nd, 4th ... 52nd of the period; Wednesdays from its start: the 1st, 3rd ... 51st
    assert hours.loc["group", "hours_per_week"] == (26 * 8 + 26 * 2) / 52
    assert hours.loc["old", ["current", "hours_per_week"]].tolist() == [False, 0.0]


@pytest.mark.parametrize(
    ("session_text", "expected"),
    [
        ("every: monthly", r"line 5, services\.0\.hours\.0\.every: .*'monthly' is not how often"),
        ("every: fortnight, interval: 3", r"'every' \(2 weeks\) and 'interval' \(3\) differ"),
        ("from: 2025-13-01", r"from: .*'2025-13-01' is not a date"),
    ],
)
def test_yaml_bad_rule_keys(tmp_path: Path, session_text: str, expected: str) -> None:
    path = tmp_path / "services.yaml"
    path.write_text(
        "services:\n  - id: group\n    name: Group\n    hours:\n"
        f"      - {{days: Mon, opens: 09:00, closes: 17:00, {session_text}}}\n"
    )
    with pytest.raises(DirectoryError, match=expected):
        read_services_yaml(path)


def test_a_rule_that_cannot_be_computed_is_a_clear_error() -> None:
    rules = pd.DataFrame([session("s", 0, "09:00", "10:00", freq="YEARLY")])
    with pytest.raises(DirectoryError, match=r"service 's': not a rule circles can compute \(freq 'YEARLY' is not"):
        schedule_summary(rules, PERIOD)


def test_a_service_that_has_stopped_is_not_counted_as_open_late() -> None:
    from circles.challenge.findings import services_open_late

    d = directory(
        session("day", 0, "09:00", "17:00"),
        session("evening", 2, "18:00", "21:00", valid_to="2019-03-31"),  # an evening group that closed in 2019
    )
    # (open evenings or weekends, hours given, all) among the services current in the period
    assert services_open_late(d, period=PERIOD) == (0, 1, 1)
    assert services_open_late(d, period=reference_period("2018-04-02")) == (1, 2, 2)
