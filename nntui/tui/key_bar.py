"""The key bar: Textual's Footer, with a key that does not fit whole hidden rather than cut."""

from __future__ import annotations

from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyBar(Footer):
    """The app's bindings, most used first; on a narrow terminal the last ones are hidden whole
    (a cut-off "b Bat" reads as a glitch), and the command palette's key stays on the right."""

    async def recompose(self) -> None:
        """Rebuild the keys (the bindings changed), then hide those that do not fit."""
        await super().recompose()
        self.call_after_refresh(self.hide_cut_keys)

    def on_resize(self) -> None:
        """Show every key again, then hide those that do not fit the new width."""
        for item in self.children:
            item.styles.visibility = "visible"
        self.call_after_refresh(self.hide_cut_keys)

    def hide_cut_keys(self, attempts: int = 3) -> None:
        """Hide every item from the first one that does not end inside the bar (or before the
        palette's key); hidden items keep their place, so hiding one moves no other."""
        items = [child for child in self.children if not child.has_class("-command-palette")]
        if not all(item.region for item in items):  # just mounted, not laid out yet
            if attempts > 1 and self.screen.is_current:
                self.call_after_refresh(self.hide_cut_keys, attempts - 1)
            return
        palette = [child for child in self.children if child.has_class("-command-palette") and child.display]
        end = palette[0].region.x if palette else self.content_region.right
        cut = False
        for item in items:
            cut = cut or item.region.right > end
            item.styles.visibility = "hidden" if cut else "visible"

    def shown_keys(self) -> list[str]:
        """The keys on screen, as displayed (``?``, ``q``, ``<``, …), in order."""
        return [key.key_display for key in self.query(FooterKey)
                if key.visible and key.parent.visible and key.region]
