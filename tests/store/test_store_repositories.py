"""The store as composed repositories: the sync client's needs (sync/store_needs.py) are
what the Store gives, method by method, so a repository change that would break the sync
fails here and not in a worker's sync round."""

import inspect
import typing

from ohjaus_tui.sync import store_needs
from ohjaus_tui.sync.store_needs import SyncStore


def _protocol_methods(protocol: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member)
        for name, member in vars(protocol).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


def test_the_store_gives_the_sync_client_every_method_it_needs_with_the_same_parameters(store):
    parts = {name: member for name, member in vars(SyncStore).items() if isinstance(member, property)}
    assert set(parts) == {"outbox", "pull", "removal", "protection", "sign_in"}
    for part, prop in parts.items():
        needs = typing.get_type_hints(prop.fget, vars(store_needs))["return"]
        repository = getattr(store, part)
        for method, wanted in _protocol_methods(needs).items():
            given = inspect.signature(getattr(repository, method))
            wanted_params = [p for p in wanted.parameters.values() if p.name != "self"]
            assert [(p.name, p.kind, p.default) for p in given.parameters.values()] == [
                (p.name, p.kind, p.default) for p in wanted_params
            ], f"store.{part}.{method}"
