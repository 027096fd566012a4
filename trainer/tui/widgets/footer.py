"""A footer that redraws its keys in place when the same keys change meaning or state."""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey, KeyGroup


class SteadyFooter(Footer):
    """Textual's Footer, without the remount when the same keys are shown again.

    Textual's Footer recomposes (mounts every key widget again and restyles
    them) whenever its screen refreshes its bindings. The study screen does so
    on every reveal and every answer (space turns from "Reveal" into the
    default grade and back), and that remount took most of a keypress's time.
    Here, when the keys to show are the ones already on screen, each key's
    action, description and enabled state are set in place; any other change
    (a key appearing or going) recomposes as before.
    """

    def bindings_changed(self, screen: Screen[object]) -> None:
        if self._bindings_ready and self._update_in_place(screen):
            return
        super().bindings_changed(screen)

    def _update_in_place(self, screen: Screen[object]) -> bool:
        if not (screen.app.app_focus and self.is_attached and screen is self.screen):
            return False
        if self.query(KeyGroup):
            return False  # grouped keys: leave them to Footer
        shown: dict[str, tuple[Binding, bool]] = {}
        for _node, binding, enabled, _tooltip in screen.active_bindings.values():
            if binding.show:
                shown.setdefault(binding.action, (binding, enabled))  # the first per action
        keys = [key for key in self.query(FooterKey) if "-command-palette" not in key.classes]
        if not keys or [key.key for key in keys] != [b.key for b, _ in shown.values()]:
            return False
        for key, (binding, enabled) in zip(keys, shown.values(), strict=True):
            relabel = (key.action, key.description) != (binding.action, binding.description)
            key.action, key.description = binding.action, binding.description
            disabled = not enabled
            if key._disabled != disabled:
                key._disabled = disabled  # what FooterKey's click handler reads
                key.set_class(disabled, "-disabled")
            if relabel:
                key.refresh(layout=True)  # a new description may need another width
        return True
