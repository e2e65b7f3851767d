"""Trigram indexes (common/trigram_index.py): the members of a ranked list whose sort key contains a
text, found from the sets of members per three characters, in the list's order, with their count;
built from the store when missing, changed by writers only while it exists."""

import uuid

import pytest

from common import ranked_index, trigram_index
from common.redis_client import redis_key

NAMES = [
    "thai garden",
    "thai basil",
    "bangkok kitchen",
    "pho kitchen",
    "kitchen alpha",
    "pasta kitchen",
    "kitchen zero",
    "café müller",
    "strasse kitchen",
    "ωmega kitchen",
    "kitchen",
    "itchen",
]


def _member(name: str, n: int) -> str:
    return f"{name}\x00{n:04d}"


class Store:
    """Stands for MongoDB, the truth both indexes are built from: a list of members."""

    def __init__(self, names):
        self.members = [_member(name, n) for n, name in enumerate(names)]
        self.reads = 0

    def entries(self):
        self.reads += 1
        return [(member, 0.0) for member in list(self.members)]

    def index(self, prefix: str, ttl_s: float = 60) -> trigram_index.TrigramIndex:
        return trigram_index.TrigramIndex(
            marker=redis_key(prefix, "trigrams"),
            set_key=lambda trigram: redis_key(prefix, "trigrams", trigram),
            members=lambda: [member for member, _ in self.entries()],
            ttl_s=ttl_s,
        )


@pytest.fixture
def prefix(redis_client):
    return f"tri-test-{uuid.uuid4().hex[:6]}"


def _page(store, prefix, text, *, skip=0, limit=20, excluded=(), index=None, walk_share=-1, prepare=True):
    """A page from the index; by default from its sets always (`walk_share` -1: never the walk), after
    what the background pass and the walk build (`prepare`: the list, and the index unless a build is
    under way)."""
    index = index or store.index(prefix)
    if prepare:
        ranked_index.ensure_built(redis_key(prefix, "list"), rebuild=store.entries, ttl_s=60)
        trigram_index.refresh(index, margin_s=0)
    return trigram_index.page_containing(
        index,
        sources={redis_key(prefix, "list"): store.entries},
        scratch=redis_key(prefix, "scratch", uuid.uuid4().hex),
        contains=text,
        excluded=list(excluded),
        skip=skip,
        limit=limit,
        ttl_s=60,
        walk_share=walk_share,
    )


def _walked(store, prefix, text, *, skip=0, limit=20, excluded=()):
    """The same page from the walk of the whole list (ranked_index.page_matching)."""
    return ranked_index.page_matching(
        [redis_key(prefix, "list")],
        scratch=redis_key(prefix, "union"),
        contains=text,
        excluded=list(excluded),
        skip=skip,
        limit=limit,
        rebuilds={redis_key(prefix, "list"): store.entries},
        ttl_s=60,
    )


def test_trigrams_are_three_characters_not_bytes():
    assert trigram_index.trigrams("café") == {"caf", "afé"}
    assert trigram_index.trigrams("ab") == set()
    assert not trigram_index.searchable("ab")
    assert trigram_index.searchable("müß")


@pytest.mark.parametrize("text", ["kitchen", "itc", "tchen", "thai", "n k", "müller", "ωme", "zzz", "é m", "itchen"])
@pytest.mark.parametrize(("skip", "limit"), [(0, 1), (1, 2), (0, 20), (3, 20)])
def test_a_page_equals_the_walk_of_the_whole_list(prefix, text, skip, limit):
    store = Store(NAMES)
    excluded = [_member("pho kitchen", 3)]

    found = _page(store, prefix, text, skip=skip, limit=limit, excluded=excluded)

    assert found == _walked(store, prefix, text, skip=skip, limit=limit, excluded=excluded)
    assert found[0] == sum(text in m.split("\x00")[0] for m in store.members if m not in excluded)


@pytest.mark.parametrize("skip", [0, 495, 1190])
def test_a_page_among_more_matches_than_a_batch_equals_the_walk(prefix, skip):
    store = Store([f"kitchen {n}" for n in range(1200)] + ["pho garden"])
    excluded = [_member("kitchen 7", 7), _member("kitchen 1000", 1000)]

    found = _page(store, prefix, "kitchen", skip=skip, limit=20, excluded=excluded)

    assert found == _walked(store, prefix, "kitchen", skip=skip, limit=20, excluded=excluded)
    assert found[0] == 1198


def test_the_index_is_built_once_from_the_store_and_lives_its_lifetime(redis_client, prefix):
    store = Store(NAMES)
    index = store.index(prefix, ttl_s=30)
    assert _page(store, prefix, "kitchen", index=index)[0] == 8
    reads = store.reads
    assert _page(store, prefix, "thai", index=index)[0] == 2
    assert store.reads == reads  # read from the sets built

    marker_ttl = redis_client.pttl(index.marker)
    assert 0 < marker_ttl <= 30_000
    assert redis_client.pttl(index.set_key("kit")) > marker_ttl  # while the marker exists, its sets do


def test_a_rare_text_reads_its_candidates_not_the_list(redis_client, prefix):
    store = Store([f"growth kitchen {n}" for n in range(3000)] + ["zanzibar grill"])
    _page(store, prefix, "zanzibar")  # builds
    _walked(store, prefix, "zanzibar")

    before = _commands(redis_client)
    assert _page(store, prefix, "zanzibar", prepare=False) == (1, [_member("zanzibar grill", 3000)])
    read = _commands(redis_client, since=before)

    before = _commands(redis_client)
    assert _walked(store, prefix, "zanzibar") == (1, [_member("zanzibar grill", 3000)])
    walked = _commands(redis_client, since=before)

    assert read.get("sinter") == 1
    assert read.get("zmscore") == 1  # the one candidate looked up in the list
    assert read.get("zrange", 0) <= 1  # the page of the matches, never the list
    assert walked.get("zrange") == 4  # the walk reads the whole list, a thousand members at a time


@pytest.mark.parametrize(("kitchens", "walks"), [(1000, True), (300, True), (190, False), (10, False)])
def test_a_common_text_walks_the_list_when_its_rarest_trigram_holds_over_a_fifth(redis_client, prefix, kitchens, walks):
    # An intersection costs about 2 us per candidate, the walk 0.4 us per member: the index answers
    # while the rarest trigram's set holds under a fifth of the list (1,000 members here).
    store = Store([f"growth kitchen {n}" for n in range(kitchens)] + [f"garden {n}" for n in range(1000 - kitchens)])
    excluded = [_member("growth kitchen 7", 7)]
    _page(store, prefix, "kitchen", walk_share=None)  # builds

    before = _commands(redis_client)
    found = _page(store, prefix, "kitchen", skip=3, limit=5, excluded=excluded, walk_share=None, prepare=False)
    used = _commands(redis_client, since=before)

    assert found == _walked(store, prefix, "kitchen", skip=3, limit=5, excluded=excluded)
    assert found[0] == kitchens - 1
    if walks:
        assert "sinter" not in used, used
        assert "zmscore" not in used, used
        assert used.get("zrange") >= 2, used  # the whole list (and its marker), a thousand at a time
    else:
        assert used.get("sinter") == 1, used
        assert "zmscore" in used, used


def test_a_common_text_among_several_lists_walks_their_union(redis_client, prefix):
    kitchens = Store([f"kitchen {n}" for n in range(50)])
    gardens = Store([f"garden {n}" for n in range(50)] + ["kitchen garden"])
    sources = {redis_key(prefix, "kitchens"): kitchens.entries, redis_key(prefix, "gardens"): gardens.entries}
    index = Store([]).index(prefix)
    index = trigram_index.TrigramIndex(
        marker=index.marker,
        set_key=index.set_key,
        members=lambda: [m for m, _ in kitchens.entries()] + [m for m, _ in gardens.entries()],
        ttl_s=60,
    )

    def page(share):
        return trigram_index.page_containing(
            index,
            sources=sources,
            scratch=redis_key(prefix, "scratch", uuid.uuid4().hex),
            contains="kitchen",
            excluded=[],
            skip=45,
            limit=10,
            ttl_s=60,
            walk_share=share,
        )

    for key, rebuild in sources.items():
        ranked_index.ensure_built(key, rebuild=rebuild, ttl_s=60)
    trigram_index.refresh(index, margin_s=0)

    walked = page(None)
    assert walked == page(-1)
    assert walked[0] == 51
    assert redis_client.keys(redis_key(prefix, "scratch", "*")) == []


def _commands(client, since=None) -> dict:
    """Calls per command (INFO commandstats, script commands included), or their growth since `since`."""
    calls = {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in client.info("commandstats").items()}
    if since is None:
        return calls
    return {name: n - since.get(name, 0) for name, n in calls.items() if n - since.get(name, 0)}


def test_writers_change_the_sets_only_while_the_index_exists(redis_client, prefix):
    store = Store(NAMES)
    index = store.index(prefix)
    trigram_index.change(index, before=None, after=_member("zanzibar grill", 99))
    assert not redis_client.exists(index.set_key("zan"))  # a later build reads it from the store

    assert _page(store, prefix, "zanzibar") == (0, [])
    store.members.append(_member("zanzibar grill", 99))
    ranked_index.add((redis_key(prefix, "list"), _member("zanzibar grill", 99), 0.0))
    trigram_index.change(index, before=None, after=_member("zanzibar grill", 99))
    assert _page(store, prefix, "zanzibar") == (1, [_member("zanzibar grill", 99)])

    ranked_index.remove(redis_key(prefix, "list"), _member("zanzibar grill", 99))
    trigram_index.change(index, before=_member("zanzibar grill", 99), after=None)
    assert _page(store, prefix, "zanzibar") == (0, [])
    assert not redis_client.sismember(index.set_key("zan"), _member("zanzibar grill", 99))


def test_members_renamed_added_and_removed_during_a_build_are_never_lost(redis_client, prefix):
    store = Store(NAMES)
    index = store.index(prefix)
    listing = redis_key(prefix, "list")
    ranked_index.ensure_built(listing, rebuild=store.entries, ttl_s=60)
    renamed_from, renamed_to = _member("thai garden", 0), _member("zanzibar garden", 0)
    added, removed = _member("kitchen new", 50), _member("pasta kitchen", 5)

    def members_read_before_the_writes():
        snapshot = [member for member, _ in store.entries()]  # the build's read of the store
        # Writers change the store and both lists between the build's read and its fill.
        store.members = [renamed_to if m == renamed_from else m for m in store.members if m != removed] + [added]
        ranked_index.remove(listing, renamed_from)
        ranked_index.remove(listing, removed)
        ranked_index.add((listing, renamed_to, 0.0), (listing, added, 0.0))
        trigram_index.change(index, before=renamed_from, after=renamed_to)
        trigram_index.change(index, before=None, after=added)
        trigram_index.change(index, before=removed, after=None)
        return snapshot

    building = trigram_index.TrigramIndex(
        marker=index.marker, set_key=index.set_key, members=members_read_before_the_writes, ttl_s=60
    )
    assert trigram_index.build(building)

    for text in ("garden", "kitchen", "zanzibar", "thai", "pasta", "new"):
        assert _page(store, prefix, text, index=index) == _walked(store, prefix, text), text
    assert _page(store, prefix, "garden", index=index) == (1, [renamed_to])
    assert _page(store, prefix, "pasta", index=index) == (0, [])
    assert _page(store, prefix, "new", index=index) == (1, [added])


def test_while_another_reader_builds_the_caller_walks_the_list(redis_client, prefix):
    store = Store(NAMES)
    index = store.index(prefix)
    redis_client.hset(index.marker, mapping={"deadline": "1", "ready": "0"})
    redis_client.pexpire(index.marker, 60_000)

    assert _page(store, prefix, "kitchen", index=index) is None
    assert not redis_client.exists(index.set_key("kit"))


def test_a_forgotten_index_is_rebuilt_from_the_store(redis_client, prefix):
    store = Store(NAMES)
    index = store.index(prefix)
    assert _page(store, prefix, "zanzibar") == (0, [])
    store.members.append(_member("zanzibar grill", 99))  # a bulk load behind the writers' backs
    ranked_index.forget(redis_key(prefix, "list"))
    assert _page(store, prefix, "zanzibar") == (0, [])  # the index answered (its sets miss it)

    trigram_index.forget(index)
    assert _page(store, prefix, "zanzibar") == (1, [_member("zanzibar grill", 99)])


def test_without_redis_the_caller_reads_the_store(prefix, redis_down):
    store = Store(NAMES)
    assert _page(store, prefix, "kitchen", prepare=False) is None
    trigram_index.change(store.index(prefix), before=None, after=_member("x y z", 1))  # best effort: no error


def test_a_text_under_three_characters_is_refused():
    with pytest.raises(ValueError, match="three characters"):
        _page(Store(NAMES), "unused", "ki", prepare=False)


def test_a_reader_that_finds_no_index_walks_and_never_builds_it(redis_client, prefix):
    store = Store(NAMES)
    index = store.index(prefix)
    ranked_index.ensure_built(redis_key(prefix, "list"), rebuild=store.entries, ttl_s=60)
    reads = store.reads

    assert _page(store, prefix, "kitchen", index=index, prepare=False) is None  # the caller walks
    assert store.reads == reads
    assert not redis_client.exists(index.marker)

    assert trigram_index.refresh(index, margin_s=0) == "built"
    assert _page(store, prefix, "kitchen", index=index, prepare=False)[0] == 8


def test_a_refresh_renews_the_index_before_its_deadline_with_whole_sets(redis_client, prefix):
    store = Store(NAMES)
    listing = redis_key(prefix, "list")
    ranked_index.ensure_built(listing, rebuild=store.entries, ttl_s=600)
    index = store.index(prefix, ttl_s=30)
    assert trigram_index.refresh(index, margin_s=10) == "built"
    assert trigram_index.refresh(index, margin_s=10) == "fresh"
    assert redis_client.pttl(index.marker) <= 30_000

    # Written while the refresh runs: a writer's new set must live as long as the renewed index.
    written = _member("zanzibar grill", 99)

    def members_then_a_write():
        members = [member for member, _ in store.entries()]
        store.members.append(written)
        ranked_index.add((listing, written, 0.0))
        trigram_index.change(index, before=None, after=written)
        return members

    renewing = trigram_index.TrigramIndex(
        marker=index.marker, set_key=index.set_key, members=members_then_a_write, ttl_s=120
    )
    assert trigram_index.refresh(renewing, margin_s=60) == "refreshed"

    marker_ttl = redis_client.pttl(index.marker)
    assert 30_000 < marker_ttl <= 120_000
    for trigram in ("kit", "tha", "zan"):  # refilled, written during the refresh
        assert redis_client.pttl(index.set_key(trigram)) > marker_ttl, trigram
    assert _page(store, prefix, "zanzibar", index=index, prepare=False) == (1, [written])
    assert _page(store, prefix, "kitchen", index=index, prepare=False) == _walked(store, prefix, "kitchen")
