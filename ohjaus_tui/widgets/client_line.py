"""One line naming a client, as the search, the client's view, the bookings and the merge show it.

Its own module (not the client step's): the client view and the client step both use it, and
the client step opens the client view (F2), so a line kept in either made an import circle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ohjaus_core.domain.languages import language_name
from ohjaus_core.domain.phone import format_phone
from ohjaus_core.domain.protected import non_disclosure
from ohjaus_core.domain.text import LINE_NAME, shown
from ohjaus_core.i18n import _
from ..theme import themed

if TYPE_CHECKING:
    from ..store.models import Client

MUNICIPALITY_SHOWN = 24  # cut before the language code after it


def client_line(client: Client) -> Text:
    """One line naming a client: literal text, never markup."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(shown(f"{client.last_name} {client.first_name}", LINE_NAME), style="bold")
    if client.identity_code:
        text.append(f"  {shown(client.identity_code)}")
        if client.identity_temporary:
            text.append(" " + _("(temporary)"), style="dim")
    if client.phone:
        text.append(f"  {shown(format_phone(client.phone))}")
    if client.protected:
        # A non-disclosure order: where the client lives is never on the screen.
        text.append("  " + non_disclosure(), style=themed("bold $alarm"))
    elif client.municipality:
        text.append(f"  {shown(client.municipality, MUNICIPALITY_SHOWN)}", style="dim")
    # Finnish and Swedish by their codes, as short as before; any other language by its name.
    language = language_name(client.service_language) if client.service_language else client.language
    text.append(f"  [{language}]", style=themed("$info"))
    if client.interpreter:
        text.append(" " + _("interpreter"), style=themed("bold $info"))
    return text
