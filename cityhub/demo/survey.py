"""The demo's survey and proposal board, all made up (no real person):

- a resident register of 20,000 people (names, mobiles, district, age group) spread over the
  districts as the 2020 census populations are, published as a restricted catalog dataset;
- 「2026年深圳市民公共服务满意度调查」 (an XLSForm built here): a stratified sample of 800
  residents by district (proportional allocation, seed 2026), each invited with a single-use
  token; about four in ten answer, fewer among the young and in the outer districts, with
  satisfaction that differs by district and service;
- the weighted results published as an open dataset and as the public satisfaction index for
  2026 (city and districts), and the microdata as a conditional dataset;
- a proposal board: a dozen proposals with supports, comments and the departments' answers,
  one past its answer deadline."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import tempfile
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from cityhub.auth.principal import OPERATOR, Principal
from cityhub.survey import invitations
from cityhub.survey import publish as publishing
from cityhub.survey.results import ResultRequest, compute

if TYPE_CHECKING:
    from cityhub.hub import Hub

FORM_ID = "sz_public_services_2026"
TITLE = "2026年深圳市民公共服务满意度调查"
DEPARTMENT = "government-affairs"
REGISTER = "resident-register"
SERVICES = [
    ("sat_transport", "公共交通", "Public transport"),
    ("sat_health", "医疗卫生", "Health care"),
    ("sat_education", "教育", "Education"),
    ("sat_environment", "环境卫生", "Sanitation"),
    ("sat_government", "政务服务", "Government services"),
]
AGES = [("18-34", "18–34岁", "18–34", 0.45), ("35-59", "35–59岁", "35–59", 0.42),
        ("60+", "60岁及以上", "60 and over", 0.13)]  # fmt: skip
# how much more (or less) satisfied each district is than the city, on the 1–5 scale
DISTRICT_MOOD = {"福田区": 0.35, "南山区": 0.3, "罗湖区": 0.1, "盐田区": 0.25, "宝安区": -0.15,
                 "龙岗区": -0.2, "龙华区": -0.05, "坪山区": -0.3, "光明区": -0.25,
                 "大鹏新区": 0.05}  # fmt: skip
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"


def _populations() -> dict[str, int]:
    text = (
        resources.files("cityhub.demo")
        .joinpath("data", "shenzhen_district_population_census2020.csv")
        .read_text(encoding="utf-8")
    )
    return {r["district"]: int(r["population"]) for r in csv.DictReader(io.StringIO(text))}


def _register(path: Path, size: int, rng: random.Random) -> Path:
    people = _populations()
    total = sum(people.values())
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "手机", "区", "年龄段"])
        for district, count in people.items():
            for _ in range(round(size * count / total)):
                name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
                age = rng.choices([a[0] for a in AGES], [a[3] for a in AGES])[0]
                writer.writerow([name, f"13{rng.randrange(5, 10)}{rng.randrange(10**8):08d}",
                                 district, age])  # fmt: skip
    return path


def _form(path: Path) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    survey = book.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label::zh", "label::en", "required", "relevant"])
    survey.append(["select_one age", "age_group", "您的年龄段", "Your age group", "yes", ""])
    for name, zh, en in SERVICES:
        survey.append(["select_one sat", name, f"您对{zh}的满意程度", f"Satisfaction: {en}",
                       "yes", ""])  # fmt: skip
    survey.append(["select_one sat", "sat_overall", "总体而言，您对本市公共服务的满意程度",
                   "Overall satisfaction with public services", "yes", ""])  # fmt: skip
    survey.append(["text", "why", "您不满意的主要原因", "Main reason you are not satisfied",
                   "", "${sat_overall} <= 2"])  # fmt: skip
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::zh", "label::en"])
    for code, zh, en, _ in AGES:
        choices.append(["age", code, zh, en])
    labels = [("很不满意", "Very dissatisfied"), ("不满意", "Dissatisfied"), ("一般", "Neutral"),
              ("满意", "Satisfied"), ("很满意", "Very satisfied")]  # fmt: skip
    for i, (zh, en) in enumerate(labels, start=1):
        choices.append(["sat", str(i), zh, en])
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "version", "default_language"])
    settings.append([TITLE, FORM_ID, "2026110101", "zh"])
    book.save(path)
    return path


def _rating(rng: random.Random, mean: float) -> str:
    return str(min(5, max(1, round(rng.gauss(mean, 0.85)))))


def run_demo_survey(hub: Hub, size: int = 800, seed: int = 2026) -> int:
    """Publish the register, the form and its sample; simulate the answers; publish the
    results. Returns the responses stored (0 when the demo survey is there already)."""
    if hub.store.surveys.form(FORM_ID) is not None:
        return 0
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if hub.store.catalog.find_dataset(REGISTER) is None:
            hub.catalog.create(
                OPERATOR,
                {
                    "name": REGISTER,
                    "org": DEPARTMENT,
                    "org_title": "深圳市政务服务数据管理局",
                    "org_title_en": "Government Services and Data Administration",
                    "title": "常住人口抽样框（模拟）",
                    "title_en": "Resident register for survey sampling (synthetic)",
                    "description": "演示用模拟数据：姓名、手机、所在区、年龄段，"
                    "按2020年人口普查各区人口分布生成",
                    "themes": ["政务"],
                    "keywords": ["抽样框", "问卷调查"],
                    "frequency": "annual",
                    "license": "gov-restricted",
                },
            )
            hub.catalog.add_file(
                OPERATOR, REGISTER, _register(folder / "register.csv", 20_000, rng)
            )
            hub.catalog.classify(
                OPERATOR,
                REGISTER,
                {
                    "share_conditions": "仅用于统计调查抽样",
                    "column_kinds": {"姓名": ["person_name"]},
                },
            )
        data = _form(folder / "form.xlsx").read_bytes()
    hub.surveys.save(*hub.surveys.prepare(data, "sz_public_services_2026.xlsx", DEPARTMENT))
    wanted = invitations.SampleRequest(FORM_ID, REGISTER, "区", size, seed)
    sample, invited, handed = hub.surveys.prepare_sample(hub.catalog, OPERATOR, wanted)
    hub.surveys.save_sample(sample, invited)
    ages = _register_ages(hub)
    stored = 0
    for unit in handed:
        district, age = unit["stratum"], ages.get(unit["unit"], "35-59")
        mood = DISTRICT_MOOD.get(district, 0.0)
        # the young and the outer districts answer less often
        propensity = {"18-34": 0.32, "35-59": 0.45, "60+": 0.55}[age] + 0.1 * mood
        if rng.random() > propensity:
            continue
        answers = {"age_group": age}
        base = 3.5 + mood + (0.15 if age == "60+" else 0.0)
        for (name, _, _), shift in zip(SERVICES, (0.0, -0.35, -0.2, 0.15, 0.3), strict=True):
            answers[name] = _rating(rng, base + shift)
        answers["sat_overall"] = _rating(rng, base)
        if int(answers["sat_overall"]) <= 2:
            answers["why"] = rng.choice(["看病排队时间太长", "上下班公交太挤", "学位紧张",
                                         "办事材料要求多", "小区周边环境脏乱"])  # fmt: skip
        body = {"answers": answers, "token": unit["token"]}
        hub.surveys.store_response(hub.surveys.receive(FORM_ID, body, "zh", "demo"))
        stored += 1
    _publish_results(hub)
    return stored


def _register_ages(hub: Hub) -> dict[str, str]:
    from cityhub.catalog.datastore import MAX_LIMIT, RowQuery

    page = hub.catalog.rows(
        OPERATOR, REGISTER, RowQuery(fields=["年龄段"], limit=MAX_LIMIT), include_total=False
    )
    return {str(r["_id"]): str(r["年龄段"]) for r in page.records}


def _publish_results(hub: Hub) -> None:
    stored, form, found, strata = hub.surveys.material(FORM_ID)
    request = ResultRequest(
        tuple(name for name, _, _ in SERVICES), 1.0, 5.0, "stratum", 10, "2026",
        "public_satisfaction_index",
    )  # fmt: skip
    estimates = compute(form, found, strata, request)
    publishing.publish(
        hub, OPERATOR, FORM_ID, stored.title, stored.department, estimates, "2026",
        "public_satisfaction_index",
    )  # fmt: skip
    invited = [r for r in found if r.stratum is not None]
    publishing.publish_microdata(hub, OPERATOR, form, stored.title, stored.department, invited)


def load_demo_proposals(hub: Hub, seed: int = 7) -> int:
    """The proposal board; returns how many proposals were made (0 when there are some)."""
    from cityhub.store.participation_sql import ProposalFilter

    if hub.proposals.find(ProposalFilter(), 1):
        return 0
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    threshold = hub.proposals.rules.threshold
    table = resources.files("cityhub.demo").joinpath("data", "demo_proposals.csv")
    made = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8"))))
    for number, item in enumerate(made):
        title, district, supports = item["title"], item["district"], int(item["supports"])
        author = Principal(f"demo-citizen-{number}", "citizens", "public")
        # the first made two months ago, one every four days since: the early ones with
        # many supports are past their answer deadline unless answered
        start = now - dt.timedelta(days=60 - 4 * number)
        at_us = int(start.timestamp() * 1e6)
        row = hub.proposals.submit(
            hub.proposals.prepare(
                author, {"title": title, "text": item["text"], "district": district}, at_us
            )
        )
        now_us = int(now.timestamp() * 1e6)
        times = sorted(
            min(at_us + int(rng.uniform(0, 20 * 86_400) * 1e6), now_us)
            for _ in range(supports * threshold // 100)
        )
        for s, when in enumerate(times):
            supporter = Principal(f"demo-supporter-{s}", "citizens", "public")
            hub.proposals.support(row.id, supporter, when)
        if number % 3 == 0:
            hub.proposals.comment(row.id, Principal(f"demo-supporter-{number}", "", "public"),
                                  {"text": "支持，希望尽快落实。"})  # fmt: skip
        if item["answer_status"]:
            reader = Principal("demo", row.department or "", "staff")
            answer = {"status": item["answer_status"], "text": item["answer_text"]}
            hub.proposals.answer(row.id, reader, answer)
    return len(made)
