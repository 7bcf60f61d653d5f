"""Normalisation and scoring shared by both search indexes: what a user types vs. what the
bank stored, checked without any index."""

from __future__ import annotations

import pytest

from customer360.search.documents import AddressDoc, PersonDocument, PhoneDoc
from customer360.search.normalise import (
    are_nicknames,
    date_variants,
    fold,
    parse_date,
    parse_text,
    phone_key,
    state_code,
    street_tokens,
)
from customer360.search.protocol import (
    Agreement,
    MatchKind,
    MatchQuery,
    SearchField,
    SearchRequest,
)
from customer360.search.scoring import (
    CITY_LEVELS,
    DATE_LEVELS,
    FIRST_NAME_LEVELS,
    LAST_NAME_LEVELS,
    PHONE_LEVELS,
    STATE_LEVELS,
    STREET_LEVELS,
    ZIP_LEVELS,
    link,
    match_query_of,
    rank_search,
    word_similarity,
)


@pytest.mark.parametrize("spelling", [
    "(212) 555-0100", "+1 212 555 0100", "2125550100", "212.555.0100", "+1-212-555-0100",
    "212-555-0100x123", "(212)555-0100x123", "001-212-555-0100x12345", "1 212 555 0100",
])
def test_every_spelling_of_a_number_has_one_key(spelling: str) -> None:
    assert phone_key(spelling) == "12125550100"


def test_text_that_is_not_a_phone_has_no_key() -> None:
    assert phone_key("12") is None and phone_key("call me") is None


def test_free_text_is_split_into_words_numbers_phones_and_dates() -> None:
    assert parse_text("Bob Smith (212) 555-0100 03/07/1985") == (("bob", "smith"), (), ("12125550100",), ("1985-03-07",))
    assert parse_text("123 Main St 10001") == (("main", "st"), ("123", "10001"), (), ())
    assert parse_text("José O'Brien-Smith") == (("jose", "obrien", "smith"), (), (), ())
    assert parse_text("a") == ((), (), (), ())


def test_house_number_and_zip_are_not_read_as_a_phone() -> None:
    assert parse_text("12345 10001")[2] == ()


@pytest.mark.parametrize(("text", "iso"), [
    ("1985-03-07", "1985-03-07"), ("1985/3/7", "1985-03-07"), ("03/07/1985", "1985-03-07"),
    ("19850307", "1985-03-07"), ("1985-02-30", None), ("13/45/1985", None), ("hello", None),
])
def test_dates_in_the_usual_spellings(text: str, iso: str | None) -> None:
    assert parse_date(text) == iso


def test_transposed_dates_are_real_days_near_the_original() -> None:
    assert date_variants("1985-03-07") == {"1985-07-03", "1958-03-07", "1895-03-07"}
    assert "1985-12-25" not in date_variants("1985-12-25")
    assert all(parse_date(v) == v for v in date_variants("1961-04-12"))


def test_street_suffixes_and_units_become_usps_abbreviations() -> None:
    assert street_tokens("123 Main Street Apartment 4") == street_tokens("123 MAIN ST APT 4") == ("123", "main", "st", "apt", "4")
    assert street_tokens("9 North Elm Avenue") == ("9", "n", "elm", "ave")


def test_states_by_code_or_name() -> None:
    assert state_code("NY") == state_code("new york") == "ny"
    assert state_code("Atlantis") is None


def test_nicknames_come_from_the_nicknames_package_both_ways() -> None:
    assert are_nicknames("bob", "robert") and are_nicknames("robert", "bob") and are_nicknames("bob", "rob")
    assert not are_nicknames("robert", "roberta") and not are_nicknames("bob", "bob")


def test_fold_keeps_letters_and_digits_only() -> None:
    assert fold("  Zoë  D'Arcy-Smith ") == "zoe darcy smith"


def test_word_similarity_kinds() -> None:
    assert word_similarity("smith", "smith") == (MatchKind.EXACT, 1.0)
    assert word_similarity("bob", "robert", first_name=True)[0] is MatchKind.NICKNAME
    assert word_similarity("bob", "robert", first_name=False) is None
    assert word_similarity("smtih", "smith")[0] is MatchKind.FUZZY
    assert word_similarity("fil", "phil")[0] is MatchKind.PHONETIC
    assert word_similarity("ro", "robert")[0] is MatchKind.PREFIX
    assert word_similarity("r", "robert") is None


ROBERT = PersonDocument("P1", "Robert", "Fitzgerald", "1961-04-12",
                        (AddressDoc("12 Main Street", "Springfield", "IL", "62701"),),
                        (PhoneDoc("(212) 555-0100", "12125550100"),))
WIFE = PersonDocument("P2", "Mary", "Fitzgerald", "1963-09-30", ROBERT.addresses, ROBERT.phones)
AGAIN = PersonDocument("P3", "Bob", "Fitzgerlad", "1961-12-04", (AddressDoc("12 Main St", "Springfield", "IL", "62701"),),
                       (PhoneDoc("212.555.0100", "12125550100"),))


def test_search_ranks_the_whole_name_above_part_of_it() -> None:
    hits = rank_search(SearchRequest.parse("Robert Fitzgerald", 10), [WIFE, AGAIN, ROBERT])
    assert [h.person_id for h in hits] == ["P1", "P3", "P2"]
    assert hits[0].score == 1.0 and hits[1].score < 1.0 and hits[2].score == 0.5


def test_search_explains_each_part_of_the_text() -> None:
    (hit,) = rank_search(SearchRequest.parse("Bob 212 555 0100 Main St", 10), [ROBERT])
    found = {(m.field, m.kind) for m in hit.matched}
    assert found == {(SearchField.FIRST_NAME, MatchKind.NICKNAME), (SearchField.PHONE, MatchKind.EXACT),
                     (SearchField.STREET, MatchKind.EXACT)}


def test_a_duplicate_links_and_a_household_member_does_not() -> None:
    same = link(match_query_of(AGAIN), ROBERT)
    wife = link(match_query_of(WIFE), ROBERT)
    assert same.score > 0.99 and wife.score < 0.05
    levels = {e.field: (e.level, e.agreement) for e in same.evidence}
    assert levels[SearchField.FIRST_NAME] == ("nickname", Agreement.PARTIAL)
    assert levels[SearchField.LAST_NAME] == ("typo", Agreement.PARTIAL)
    assert levels[SearchField.DATE_OF_BIRTH] == ("transposed", Agreement.PARTIAL)
    assert levels[SearchField.STREET] == ("exact", Agreement.AGREE)  # St == Street


def test_missing_fields_are_no_evidence_either_way() -> None:
    result = link(MatchQuery(last_name="Fitzgerald"), ROBERT)
    missing = [e for e in result.evidence if e.agreement is Agreement.MISSING]
    assert len(missing) == len(result.evidence) - 1 and all(e.weight == 0 for e in missing)


@pytest.mark.parametrize("levels", [FIRST_NAME_LEVELS, LAST_NAME_LEVELS, DATE_LEVELS, PHONE_LEVELS, STREET_LEVELS,
                                    ZIP_LEVELS, CITY_LEVELS, STATE_LEVELS])
def test_no_partial_agreement_outweighs_an_exact_one(levels) -> None:
    exact = levels["exact"].weight
    for level in levels.values():
        assert level.weight <= exact
        assert (level.weight < 0) == (level.agreement is Agreement.DISAGREE) or level.name == "phonetic"
