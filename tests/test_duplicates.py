"""Duplicate detection: reasons, families, configurable fields, blocking, CLI, add and import."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from rapidfuzz import fuzz

from clientcard import ConfigError, DuplicateGroup, Workspace
from clientcard.dedupe.detect import (
    GATE_FLOOR,
    MAX_BLOCK,
    FieldRule,
    Records,
    compare_names,
    detect,
    field_rules,
    gate,
    name_tokens,
)
from clientcard.dedupe.settings import DuplicatesSettings
from clientcard.transfer.bookings_import import ImportRowsError
from conftest import RunCLI
from test_cli_customers import add, assert_user_error


def group_of(groups: list[DuplicateGroup], *ids: int) -> DuplicateGroup:
    """The group holding exactly ``ids``; fails naming the groups found."""
    for group in groups:
        if group.ids == ids:
            return group
    raise AssertionError(f"no group {ids}; found {[(g.ids, g.reasons) for g in groups]}")


def with_field(ws: Workspace, key: str, type: str) -> None:
    """Add field ``key`` unless the workspace already has it (a new workspace may
    start with ``birth_date``)."""
    if key not in ws.schema().defs:
        ws.add_field(key, type=type)


def reopened(ws: Workspace, toml: str) -> Workspace:
    """The workspace opened again after appending ``toml`` to its clientcard.toml."""
    ws.config_path.write_text(ws.config_path.read_text() + "\n" + toml)
    return Workspace.open(ws.path)


# -- reasons of each kind ----------------------------------------------------------------


def test_same_email_in_another_case(workspace: Workspace) -> None:
    a = workspace.add_customer("Giulia Bianchi", email="Giulia.Bianchi@Example.com")
    b = workspace.add_customer("Giulia Bianchi", email="giulia.bianchi@example.COM")
    group = group_of(workspace.find_duplicates(), a.id, b.id)
    assert group.reasons == ("same e-mail, written differently", "same name")
    assert group.score > 0.9


def test_same_phone_written_in_other_formats(workspace: Workspace) -> None:
    a = workspace.add_customer("Luca Conti", phone="06 1234 5678")
    b = workspace.add_customer("Luca Conti", phone="+39 06 12345678")
    c = workspace.add_customer("Luca Conti", phone="0039 06-1234-5678")
    group = group_of(workspace.find_duplicates(), a.id, b.id, c.id)
    assert group.reasons == ("same phone", "same name")


def test_swapped_first_and_last_names(workspace: Workspace) -> None:
    a = workspace.add_customer("Marco Rossi", phone="347 123 4567")
    b = workspace.add_customer("Rossi Marco", phone="347 123 4567")
    c = workspace.add_customer("Rosi Marco", phone="347 123 4567")  # swapped, and a typo
    groups = workspace.find_duplicates()
    group = group_of(groups, a.id, b.id, c.id)
    assert "same name in swapped order" in group.reasons
    assert "similar name in swapped order" in group.reasons


def test_typos_in_names(workspace: Workspace) -> None:
    pairs = [
        ("Giulia Esposito", "Giula Esposito"),  # a letter left out
        ("Chiara Ferrari", "Chiaar Ferrari"),  # two letters swapped
        ("Andrea Conti", "Andrea Conte"),  # a letter changed
        ("Alessandro Moretti", "Alesandro Moreti"),  # one in each word
    ]
    for number, (first, second) in enumerate(pairs):
        a = workspace.add_customer(first, email=f"person{number}@example.com")
        b = workspace.add_customer(second, email=f"person{number}@example.com")
        group = group_of(workspace.find_duplicates(), a.id, b.id)
        assert group.reasons == ("same e-mail", "similar name (a typo?)"), (first, second)


def test_accents_and_case(workspace: Workspace) -> None:
    a = workspace.add_customer("Zoë Müller", email="zoe@example.com")
    b = workspace.add_customer("ZOE MULLER", email="zoe@example.com")
    c = workspace.add_customer("Noémie D'Angelo", phone="333 111 2222")
    d = workspace.add_customer("noemie dangelo", phone="333 111 2222")
    groups = workspace.find_duplicates()
    assert group_of(groups, a.id, b.id).reasons == (
        "same e-mail",
        "same name apart from case or accents",
    )
    assert group_of(groups, c.id, d.id).reasons == (
        "same phone",
        "same name apart from case or accents",
    )


def test_name_words_are_folded_and_split_on_punctuation() -> None:
    assert name_tokens("  Noémie  D'Angelo-Bianchi ") == ("noemie", "dangelo", "bianchi")
    assert name_tokens("M. Rossi") == ("m", "rossi")
    assert compare_names("a", "b", ("dell", "orto"), ("dellorto",))[0] == 1.0


# -- names in two scripts ----------------------------------------------------------------


def test_a_name_in_persian_and_in_latin_letters_sharing_a_phone_is_one_person(
    workspace: Workspace,
) -> None:
    latin = workspace.add_customer("Zahra Mohammadi", phone="333 111 2222")
    persian = workspace.add_customer("زهرا محمدی", phone="+39 333 1112222")
    (group,) = workspace.find_duplicates()  # the default threshold
    assert group.ids == (latin.id, persian.id)
    assert group.reasons == ("same phone", "same name in another script")
    assert group.score > 0.9
    # typed on an Arabic keyboard (yeh, kaf), with a vowel mark, the surname first
    arabic = workspace.add_customer("محمدي زَهرا", phone="333 111 2222")
    assert workspace.find_duplicates()[0].ids == (latin.id, persian.id, arabic.id)


def test_a_family_in_two_scripts_stays_below_the_default_threshold(
    workspace: Workspace,
) -> None:
    home = "333 111 2222"
    zahra = workspace.add_customer("Zahra Mohammadi", phone=home)
    zahra_fa = workspace.add_customer("زهرا محمدی", phone=home)
    ali_fa = workspace.add_customer("علی محمدی", phone=home)
    maryam_fa = workspace.add_customer("مریم محمدی", phone=home)
    hassan = workspace.add_customer("Hassan Mohammadi", phone=home)
    hossein_fa = workspace.add_customer("حسین محمدی", phone=home)  # Hassan's consonants
    assert [g.ids for g in workspace.find_duplicates()] == [(zahra.id, zahra_fa.id)]
    true_score = workspace.find_duplicates()[0].score
    rules = field_rules(workspace.schema(), DuplicatesSettings())
    for a, b in [(zahra, ali_fa), (zahra, maryam_fa), (hassan, hossein_fa)]:
        docs = [workspace.to_json(a), workspace.to_json(b)]
        (group,) = detect(Records.from_docs(rules, docs), 0.0).groups
        assert group.score < 0.7 < DuplicatesSettings().min_score < true_score, (a.name, b.name)
        assert group.reasons[-1] in ("partly similar names", "different names")


@pytest.mark.parametrize(
    ("latin", "other"),
    [
        ("Zahra Mohammadi", "زهرا محمدی"),
        ("Hossein Karimi", "حسین کریمی"),
        ("Hoseyn Karimi", "حسین کریمی"),
        ("Fatemeh Heydari", "فاطمه حیدری"),
        ("Ghasem Mousavi", "قاسم موسوی"),
        ("Qasem Musavi", "قاسم موسوی"),
        ("Davood Abdollahi", "داوود عبداللهی"),
        ("Reza Rezaei", "رضا رضایی"),
        ("Mohammadreza Saeedi", "محمد رضا سعیدی"),  # one word in Latin, two in Persian
        ("Mustafa Khalil", "مصطفى خليل"),  # Arabic
        ("Ivan Petrov", "Иван Петров"),
        ("Aleksandr Ivanov", "Александр Иванов"),
        ("Giorgos Papadopoulos", "Γιώργος Παπαδόπουλος"),
        ("David Levi", "דוד לוי"),
    ],
)
def test_names_agree_across_scripts(latin: str, other: str) -> None:
    similarity, reason = compare_names(latin, other, name_tokens(latin), name_tokens(other))
    assert similarity >= 0.85, (similarity, reason)
    assert reason in ("same name in another script", "similar name in another script")


@pytest.mark.parametrize(
    ("latin", "other"),
    [
        ("Hassan Karimi", "حسین کریمی"),  # the same consonants, not the same vowels
        ("Ehsan Karimi", "حسن کریمی"),
        ("Zahra Karimi", "زهره کریمی"),
        ("Mina Karimi", "مینو کریمی"),
        ("Ali Karimi", "رضا کریمی"),
        ("Ivan Petrov", "Пётр Петров"),
    ],
)
def test_other_names_across_scripts_do_not_pass_the_gate(latin: str, other: str) -> None:
    similarity, _ = compare_names(latin, other, name_tokens(latin), name_tokens(other))
    assert gate(similarity) < 1.0, similarity


# -- families are not duplicates ---------------------------------------------------------


def test_family_sharing_a_phone_is_ranked_below_true_duplicates(workspace: Workspace) -> None:
    home = "06 5555 1234"
    anna = workspace.add_customer("Anna Rossi", phone=home, email="anna@example.com")
    anna_again = workspace.add_customer("Ana Rossi", phone=home)
    marco = workspace.add_customer("Marco Rossi", phone=home, email="marco@example.com")
    laura = workspace.add_customer("Laura Rossi", phone=home)

    # at the default threshold, only Anna's two records are one person
    assert [g.ids for g in workspace.find_duplicates()] == [(anna.id, anna_again.id)]

    # every pair, however low: the family's pairs all rank below Anna's
    detection = workspace.detect_duplicates(0.0)
    assert detection.groups[0].ids == (anna.id, anna_again.id, marco.id, laura.id)
    true_score = group_of(workspace.find_duplicates(0.5), anna.id, anna_again.id).score
    family_score = detection.groups[0].score  # the weakest pair holding them together
    assert family_score < 0.5 < 0.8 < true_score


def test_family_pairs_score_below_the_default_threshold(workspace: Workspace) -> None:
    settings = DuplicatesSettings()
    rules = field_rules(workspace.schema(), settings)
    docs = [
        {"id": 1, "name": "Marco Bianchi", "phone": "+390655551234", "fields": {}},
        {"id": 2, "name": "Giulia Bianchi", "phone": "+390655551234", "fields": {}},
        {"id": 3, "name": "Martina Colombo", "email": "casa@colombo.it", "fields": {}},
        {"id": 4, "name": "Matteo Colombo", "email": "casa@colombo.it", "fields": {}},
        # a typo would be one letter: two make another name
        {"id": 5, "name": "Matteo Greco", "phone": "+390655559999", "fields": {}},
        {"id": 6, "name": "Mattia Greco", "phone": "+390655559999", "fields": {}},
    ]
    found = detect(Records.from_docs(rules, docs), 0.0).groups
    scores = {g.ids: g.score for g in found}
    assert set(scores) == {(1, 2), (3, 4), (5, 6)}
    assert all(score < settings.min_score for score in scores.values()), scores
    # a shared e-mail with a different name is reported, as a reason, at a low score
    assert group_of(found, 3, 4).reasons == ("same e-mail", "partly similar names")


def test_the_name_gate() -> None:
    assert gate(1.0) == gate(0.85) == 1.0
    assert gate(0.0) == gate(0.6) == GATE_FLOOR
    assert GATE_FLOOR < gate(0.7) < 1.0


def test_a_shared_email_with_another_name_is_a_low_scored_reason(workspace: Workspace) -> None:
    a = workspace.add_customer("Paolo Verdi", email="famiglia.verdi@example.com")
    b = workspace.add_customer("Silvia Verdi", email="famiglia.verdi@example.com")
    assert workspace.find_duplicates() == []
    group = group_of(workspace.find_duplicates(0.2), a.id, b.id)
    assert group.reasons == ("same e-mail", "different names")
    assert 0.2 <= group.score < 0.5


def test_a_different_birth_date_keeps_namesakes_apart(workspace: Workspace) -> None:
    with_field(workspace, "birth_date", "date")
    father = workspace.add_customer(
        "Paolo Verdi", phone="06 7654 3210", fields={"birth_date": "1960-01-02"}
    )
    son = workspace.add_customer(
        "Paolo Verdi", phone="06 7654 3210", fields={"birth_date": "1990-05-02"}
    )
    twin = workspace.add_customer("Paolo Verdi", fields={"birth_date": "1990-05-02"})
    assert workspace.find_duplicates() == [
        DuplicateGroup((son.id, twin.id), 0.85, ("same birth date", "same name"))
    ]
    pair = group_of(workspace.find_duplicates(0.3), father.id, son.id, twin.id)
    assert "different birth date" in pair.reasons
    assert pair.score < 0.5


# -- which fields count: configuration ---------------------------------------------------


def test_a_business_identifier_counts_when_configured(workspace: Workspace) -> None:
    workspace.add_field("membership_no", type="text", label="Membership no")
    a = workspace.add_customer("Sara Gallo", fields={"membership_no": "M-0042"})
    b = workspace.add_customer("Sara Galli", fields={"membership_no": "M-0042"})
    # a text field says nothing about identity by itself
    assert workspace.find_duplicates() == []
    with reopened(
        workspace, '[duplicates.fields.membership_no]\nmatch = "exact"\nweight = 0.9\n'
    ) as ws:
        group = group_of(ws.find_duplicates(), a.id, b.id)
        assert group.reasons == ("same membership no", "similar name (a typo?)")
        assert group.score > 0.9
        # the add warning uses it too
        found = ws.similar_customers({"name": "Sara Gallo", "membership_no": "M-0042"})
        assert [(f.id, f.reasons) for f in found] == [
            (a.id, ("same membership no", "same name")),
            (b.id, ("same membership no", "similar name (a typo?)")),
        ]


def test_weights_change_the_score(workspace: Workspace) -> None:
    workspace.add_field("card", type="text")
    a = workspace.add_customer("Sara Gallo", fields={"card": "C 12345"}, phone="333 123 4567")
    b = workspace.add_customer("Sara Gallo", fields={"card": "c 12354"}, phone="333 123 4567")
    weak = '[duplicates.fields.card]\nmatch = "normalised"\nweight = 0.2\n'
    with reopened(workspace, weak) as ws:
        # two digits swapped: different once normalised
        assert group_of(ws.find_duplicates(), a.id, b.id).reasons == ("same phone", "same name")
    workspace.config_path.write_text(
        workspace.config_path.read_text().replace(weak, "")
        + '[duplicates.fields.card]\nmatch = "fuzzy"\nweight = 0.2\n'
        + "[duplicates.fields.phone]\nweight = 0\n"
    )
    with Workspace.open(workspace.path) as ws:
        # phone left out; the card alone, weakly weighted, is not enough
        assert ws.find_duplicates() == []
        group = group_of(ws.find_duplicates(0.5), a.id, b.id)
        assert group.reasons == ("similar card", "same name")
        similarity = fuzz.token_sort_ratio("12345 c", "12354 c") / 100
        assert similarity > 0.85
        assert group.score == pytest.approx(1 - (1 - 0.2 * similarity) * (1 - 0.5))


def test_defaults_come_from_field_types_and_known_keys(workspace: Workspace) -> None:
    workspace.add_field("mobile", type="phone")
    with_field(workspace, "birth_date", "date")
    workspace.add_field("city", type="text")
    rules = {r.key: r for r in field_rules(workspace.schema(), DuplicatesSettings())}
    assert set(rules) == {"name", "email", "phone", "mobile", "birth_date"}
    assert rules["mobile"] == FieldRule("mobile", "Mobile", "exact", 0.85, 0.0, custom=True)
    assert rules["email"].match == "normalised"
    assert rules["name"].match == "fuzzy"
    assert rules["birth_date"].mismatch > 0


def test_a_custom_phone_field_joins_by_default(workspace: Workspace) -> None:
    workspace.add_field("mobile", type="phone")
    a = workspace.add_customer("Reza Ahmadi", fields={"mobile": "347 000 1111"})
    b = workspace.add_customer("Reza Ahmad", fields={"mobile": "+393470001111"})
    assert group_of(workspace.find_duplicates(), a.id, b.id).reasons == (
        "same mobile",
        "similar name (a typo?)",
    )


def test_structured_values_compare_by_their_texts() -> None:
    rules = (
        FieldRule("name", "Name", "fuzzy", 0.5),
        FieldRule("address", "Address", "fuzzy", 0.5, custom=True),
    )
    home = {"street": "Via Roma 1", "city": "Roma", "country": "IT", "lat": 41.9, "lon": 12.5}
    docs = [
        {"id": 1, "name": "Anna Neri", "fields": {"address": home}},
        {"id": 2, "name": "Anna Neri", "fields": {"address": {**home, "street": "via roma, 1"}}},
        # every address has a street and a city: the keys must not make them alike
        {"id": 3, "name": "Anna Neri", "fields": {"address": {"street": "Corso Italia 20"}}},
    ]
    groups = detect(Records.from_docs(rules, docs), 0.7).groups
    assert [(g.ids, g.reasons) for g in groups] == [
        ((1, 2), ("same address, written differently", "same name"))
    ]


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("[duplicates]\nmin_score = 2\n", ["duplicates.min_score", "0 to 1"]),
        ('[duplicates.fields.email]\nmatch = "fuzy"\n', ["duplicates.fields.email.match", "fuzy"]),
        ("[duplicates.fields.email]\nweight = 1.5\n", ["duplicates.fields.email.weight", "0 to 1"]),
        ("[duplicates.fields.email]\nhow = 1\n", ["duplicates.fields.email", "'how'", "match"]),
        ("[duplicates.fields]\nemail = 3\n", ["duplicates.fields.email", "table"]),
    ],
)
def test_settings_are_checked_on_open(workspace: Workspace, toml: str, words: list[str]) -> None:
    workspace.config_path.write_text(workspace.config_path.read_text() + "\n" + toml)
    with pytest.raises(ConfigError) as caught:
        Workspace.open(workspace.path)
    for word in words:
        assert word in str(caught.value)


def test_rules_naming_no_field_or_lacking_match_are_refused(workspace: Workspace) -> None:
    ws = reopened(workspace, "[duplicates.fields.loyalty_card]\nweight = 0.5\n")
    with ws, pytest.raises(ConfigError, match=r"loyalty_card\] names no field"):
        ws.find_duplicates()
    ws = Workspace.open(workspace.path)
    ws.add_field("loyalty_card", type="text")
    with pytest.raises(ConfigError, match='needs match = "exact"'):
        ws.find_duplicates()
    ws.close()


def test_config_set_and_list(run: RunCLI) -> None:
    assert run("config", "set", "duplicates.min_score", "0.7").exit_code == 0
    assert run("config", "get", "duplicates.min_score").stdout == "0.7\n"
    listed = json.loads(run("config", "list", "--format", "json").stdout)
    assert listed["duplicates.min_score"] == 0.7
    assert listed["duplicates.fields"] == {}


# -- groups and blocking -----------------------------------------------------------------


def test_a_group_scores_its_weakest_link(workspace: Workspace) -> None:
    a = workspace.add_customer("Anna Neri", email="anna@example.com", phone="333 000 0001")
    b = workspace.add_customer("Anna Neri", email="anna@example.com")  # strong with a
    c = workspace.add_customer("Ana Neri", phone="333 000 0001")  # weaker with a only
    groups = workspace.find_duplicates()
    group = group_of(groups, a.id, b.id, c.id)
    pair_ac = group_of(workspace.find_duplicates(0.0), a.id, b.id, c.id)
    assert group.score == pair_ac.score
    only_ab = workspace.find_duplicates(group.score + 0.001)
    assert [g.ids for g in only_ab] == [(a.id, b.id)]


def generated(n: int, seed: int = 7) -> list[dict[str, object]]:
    """``n`` customers with random names and contacts, and every tenth one entered twice."""
    rng = random.Random(seed)
    first = ["Marco", "Giulia", "Luca", "Sara", "Paolo", "Elena", "Reza", "Shirin", "Zoë"]
    last = ["Rossi", "Bianchi", "Conti", "Ricci", "Gallo", "Ahmadi", "Müller", "Greco"]
    docs: list[dict[str, object]] = []
    for i in range(n):
        doc = {
            "id": len(docs) + 1,
            "name": f"{rng.choice(first)} {rng.choice(last)} {i}",
            "email": f"user{i}@example.com",
            "phone": f"+39347{i:07d}",
            "fields": {},
        }
        docs.append(doc)
        if i % 10 == 0:
            docs.append({**doc, "id": len(docs) + 1, "email": None})
    return docs


def test_blocking_compares_far_fewer_pairs_than_all(workspace: Workspace) -> None:
    docs = generated(3000)
    rules = field_rules(workspace.schema(), DuplicatesSettings())
    detection = detect(Records.from_docs(rules, docs), 0.8)
    n = len(docs)
    assert detection.stats.records == n
    # only the 300 planted pairs share a value: 300 comparisons, not 5 million
    assert detection.stats.compared == 300
    assert detection.stats.compared < n * (n - 1) / 2 / 10_000
    assert len(detection.groups) == 300
    assert all(g.reasons == ("same phone", "same name") for g in detection.groups)


def test_a_value_shared_by_very_many_is_no_evidence(workspace: Workspace) -> None:
    rules = field_rules(workspace.schema(), DuplicatesSettings())
    docs = [
        {"id": i, "name": "Same Name", "email": "none@none.it", "fields": {}}
        for i in range(1, MAX_BLOCK + 2)
    ]
    detection = detect(Records.from_docs(rules, docs), 0.8)
    assert detection.groups == []
    assert detection.stats.oversized == 1
    assert detection.stats.compared == 0


def test_names_alone_are_blocked_on_only_when_they_can_matter(workspace: Workspace) -> None:
    a = workspace.add_customer("Ann Lee")
    b = workspace.add_customer("LEE Ann")
    assert workspace.detect_duplicates().stats.compared == 0
    group = group_of(workspace.find_duplicates(0.5), a.id, b.id)
    assert group.reasons == ("same name in swapped order",)
    assert group.score == 0.5


# -- the command line ---------------------------------------------------------------------


def test_cli_json_is_a_list_of_ids_score_reasons(run: RunCLI) -> None:
    a = add(run, "--name", "Ann Lee", "--email", "ann@example.com")
    b = add(run, "--name", "Anne Lee", "--email", "ANN@example.com")
    add(run, "--name", "Bob Stone", "--email", "bob@example.com")
    result = run("duplicates", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == [
        {
            "ids": [a, b],
            "score": pytest.approx(0.95, abs=0.01),
            "reasons": ["same e-mail, written differently", "similar name (a typo?)"],
        }
    ]
    assert json.loads(run("duplicates", "--format", "json", "--min-score", "1").stdout) == []


def test_cli_text_shows_each_group_with_names(run: RunCLI) -> None:
    add(run, "--name", "Ann Lee", "--phone", "06 1234 5678")
    add(run, "--name", "Lee Ann", "--phone", "+39 06 1234 5678")
    out = run("duplicates").stdout
    assert "group 1, score 0.93: same phone; same name in swapped order" in out
    assert "Ann Lee" in out and "Lee Ann" in out and "+390612345678" in out
    assert "1 group of likely duplicates (min score 0.8)" in out
    result = run("duplicates", "--min-score", "1.5")
    assert result.exit_code == 2


def test_cli_reports_none(run: RunCLI) -> None:
    add(run, "--name", "Ann Lee")
    assert run("duplicates").stdout == "no likely duplicates (min score 0.8)\n"


# -- adding and importing ----------------------------------------------------------------


def test_add_warns_naming_the_look_alike(run: RunCLI, workspace: Workspace) -> None:
    first = add(run, "--name", "Ann Lee", "--email", "ann@example.com")
    result = run("customers", "add", "--name", "Ann Lee", "--email", "ANN@example.com")
    assert result.exit_code == 0
    assert result.stdout == f"{first + 1}\n"  # the id alone, for scripts
    assert result.stderr == (
        f"warning: the new customer {first + 1} looks like customer {first} (Ann Lee): "
        "same e-mail, written differently, same name\n"
    )
    assert workspace.count_customers() == 2
    # a family member is no look-alike
    other = run("customers", "add", "--name", "Bob Lee", "--email", "ann@example.com")
    assert other.exit_code == 0 and other.stderr == ""


def test_add_rejects_duplicates_when_asked(run: RunCLI, workspace: Workspace) -> None:
    first = add(run, "--name", "Ann Lee", "--phone", "333 123 4567")
    result = run(
        "customers", "add", "--name", "Lee Ann", "--phone", "+393331234567", "--reject-duplicates"
    )
    assert_user_error(
        result, "not added", f"customer {first} (Ann Lee)", "same phone", "--reject-duplicates"
    )
    assert result.stdout == ""
    assert workspace.count_customers() == 1
    fine = run("customers", "add", "--name", "Bob Stone", "--reject-duplicates")
    assert fine.exit_code == 0 and fine.stderr == ""


def test_similar_customers_api(workspace: Workspace) -> None:
    ann = workspace.add_customer("Ann Lee", email="ann@example.com", phone="333 123 4567")
    found = workspace.similar_customers({"name": "Anne Lee", "phone": "3331234567"})
    assert [(f.id, f.name, f.reasons) for f in found] == [
        (ann.id, "Ann Lee", ("same phone", "similar name (a typo?)"))
    ]
    assert found[0].describe() == (
        f"customer {ann.id} (Ann Lee): same phone, similar name (a typo?)"
    )
    assert workspace.similar_customers({"name": "Ann Lee"}) == []  # a name alone is not enough
    assert workspace.similar_customers({"name": "Ann Lee"}, min_score=0.5)[0].id == ann.id


CSV = """name,email,phone
Bob Stone,bob@example.com,
Ann  LEE,ANN@example.com,
Carla Neri,,06 1111 2222
Neri Carla,,0611112222
Dan Neri,,06 1111 2222
"""


def test_import_warns_per_row_and_imports(
    run: RunCLI, workspace: Workspace, tmp_path: Path
) -> None:
    ann = add(run, "--name", "Ann Lee", "--email", "ann@example.com")
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    report = workspace.import_customers(path, dry_run=True)
    assert [(row, [(f.id, f.row) for f in found]) for row, found in report.look_alikes] == [
        (3, [(ann, None)]),
        (5, [(None, 4)]),  # an earlier row of the same file
    ]
    result = run("import", "customers", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"warning: row 3 looks like customer {ann} (Ann Lee): "
        "same e-mail, written differently, same name apart from case or accents",
        "warning: row 5 looks like row 4 (Carla Neri): same phone, same name in swapped order",
    ]
    assert result.stdout.startswith("created 5 customers")
    assert workspace.count_customers() == 6


def test_import_rejects_every_look_alike_row_all_or_nothing(
    run: RunCLI, workspace: Workspace, tmp_path: Path
) -> None:
    add(run, "--name", "Ann Lee", "--email", "ann@example.com")
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    result = run("import", "customers", str(path), "--reject-duplicates")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "error: 2 of 5 rows are invalid; nothing was imported"
    assert lines[1].startswith("row 3: looks like customer 1 (Ann Lee): same e-mail")
    assert lines[2] == (
        "row 5: looks like row 4 (Carla Neri): same phone, same name in swapped order "
        "(--reject-duplicates)"
    )
    assert workspace.count_customers() == 1
    with pytest.raises(ImportRowsError) as caught:
        workspace.import_customers(path, reject_duplicates=True)
    assert [p.row for p in caught.value.problems] == [3, 5]


def test_import_skips_look_alikes_with_skip_invalid(workspace: Workspace, tmp_path: Path) -> None:
    workspace.add_customer("Ann Lee", email="ann@example.com")
    path = tmp_path / "people.csv"
    path.write_text(CSV)
    report = workspace.import_customers(path, reject_duplicates=True, skip_invalid=True)
    assert (report.created, report.rejected) == (3, 2)
    assert report.rejected_path is not None
    rejected = report.rejected_path.read_text(encoding="utf-8-sig")
    assert "looks like customer 1 (Ann Lee)" in rejected
    assert sorted(c.name for c in workspace.customers()) == [
        "Ann Lee",
        "Bob Stone",
        "Carla Neri",
        "Dan Neri",
    ]


def test_rows_sharing_finds_exactly_what_comparing_every_row_finds() -> None:
    from clientcard.dedupe.detect import compared, rows_sharing

    stored = [
        "ann@x.com", "ANN@X.COM", "bob@x.com", None, "  ann@x.com", "Ánn@x.com", {"a": 1},
        "ann@x.co m", "ann@x.comm", "ann @x.com", "ann@x.com\t", "", 7, "ann\u00a0@x.com",
        "ann@x.com\x1c", "STRASSE", "straße", ["ann@x.com"], {"street": "Via Roma 1"},
    ]  # fmt: skip
    probes = ("Ann@x.com", "ann@x.com", "bob@x.com", "nobody", "strasse", "Straße", 7)
    for match in ("exact", "normalised"):
        for probe in (*probes, {"street": "via roma 1"}, {"a": 1}):
            target = compared(probe, match)
            expected = [at for at, v in enumerate(stored) if compared(v, match) == target]
            assert rows_sharing(stored, match, target) == expected, (match, probe)
