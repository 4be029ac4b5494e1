//! Focus inside modal dialogs (WAI-ARIA dialog pattern): Tab and Shift+Tab cycle through the
//! controls of the open dialog only, and closing it gives the focus back to the control that
//! opened it.
//!
//! One watcher serves every dialog of the app: any element with `aria-modal="true"` is a
//! modal, whichever component draws it. The cycling rule is plain data, tested on the host.

/// Where Tab (or Shift+Tab with `backwards`) takes the focus among `len` focusable controls
/// of a dialog, from the one at `current` (`None`: the focus is not on any of them). `None`
/// when the dialog has nothing to focus.
pub fn next_focus(len: usize, current: Option<usize>, backwards: bool) -> Option<usize> {
    if len == 0 {
        return None;
    }
    Some(match (current, backwards) {
        (None, false) => 0,
        (None, true) => len - 1,
        (Some(i), false) => (i + 1) % len,
        (Some(i), true) => (i + len - 1) % len,
    })
}

/// Whether the browser's own Tab handling already does the right thing: moving within the
/// dialog, not off its first or last control. The watcher steps in only at the ends (or when
/// the focus escaped), so the browser keeps its native behaviour inside.
pub fn must_wrap(len: usize, current: Option<usize>, backwards: bool) -> bool {
    match current {
        None => len > 0,
        Some(i) if backwards => i == 0,
        Some(i) => i + 1 >= len,
    }
}

#[cfg(target_arch = "wasm32")]
pub use browser::install;

#[cfg(target_arch = "wasm32")]
mod browser {
    use super::{must_wrap, next_focus};
    use std::cell::RefCell;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::Closure;
    use web_sys::{Element, HtmlElement};

    const MODAL: &str = "[aria-modal=\"true\"]";
    const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]):not([type=\"hidden\"]), \
         select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex=\"-1\"])";

    #[derive(Default)]
    struct State {
        /// The dialog on top when last looked at.
        dialog: Option<Element>,
        /// The control that had the focus before that dialog opened.
        opener: Option<HtmlElement>,
        /// The last control focused outside any dialog.
        last_outside: Option<HtmlElement>,
    }

    thread_local! {
        static STATE: RefCell<State> = RefCell::new(State::default());
    }

    fn top_dialog(doc: &web_sys::Document) -> Option<Element> {
        let list = doc.query_selector_all(MODAL).ok()?;
        (0..list.length())
            .rev()
            .filter_map(|i| list.item(i))
            .find_map(|n| n.dyn_into::<Element>().ok())
    }

    fn focusables(dialog: &Element) -> Vec<HtmlElement> {
        let Ok(list) = dialog.query_selector_all(FOCUSABLE) else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| list.item(i))
            .filter_map(|n| n.dyn_into::<HtmlElement>().ok())
            // Hidden controls (display: none) have no layout box and cannot take the focus.
            .filter(|el| el.get_client_rects().length() > 0)
            .collect()
    }

    fn active(doc: &web_sys::Document) -> Option<HtmlElement> {
        doc.active_element()
            .and_then(|e| e.dyn_into::<HtmlElement>().ok())
    }

    /// Tab inside the open dialog: wrap at the ends, pull back a focus that escaped.
    fn on_keydown(ev: web_sys::KeyboardEvent) {
        if ev.key() != "Tab" || ev.alt_key() || ev.ctrl_key() || ev.meta_key() {
            return;
        }
        let doc = leptos::prelude::document();
        let Some(dialog) = top_dialog(&doc) else {
            return;
        };
        let items = focusables(&dialog);
        if items.is_empty() {
            // Nothing to focus inside: the focus stays where it is rather than leave.
            ev.prevent_default();
            return;
        }
        let current = active(&doc).and_then(|a| items.iter().position(|el| *el == a));
        let backwards = ev.shift_key();
        if !must_wrap(items.len(), current, backwards) {
            return;
        }
        ev.prevent_default();
        if let Some(i) = next_focus(items.len(), current, backwards) {
            let _ = items[i].focus();
        }
    }

    /// Remembers the last control focused outside dialogs: it becomes the opener of the next
    /// dialog (by the time a dialog is noticed, it may already have moved the focus inside).
    fn on_focusin(ev: web_sys::FocusEvent) {
        let Some(el) = ev.target().and_then(|t| t.dyn_into::<HtmlElement>().ok()) else {
            return;
        };
        if el.closest(MODAL).ok().flatten().is_none() {
            STATE.with(|s| s.borrow_mut().last_outside = Some(el));
        }
    }

    /// A focus that leaves for nowhere (a click on plain text) forgets the last control: a
    /// dialog opened by a shortcut then has no opener to return to.
    fn on_focusout(ev: web_sys::FocusEvent) {
        if ev.related_target().is_some() {
            return;
        }
        let outside = ev
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .is_some_and(|el| el.closest(MODAL).ok().flatten().is_none());
        if outside {
            STATE.with(|s| s.borrow_mut().last_outside = None);
        }
    }

    /// After each change of the page: notice a dialog opening (remember its opener) or
    /// closing (give the focus back, unless the page moved it somewhere on purpose).
    fn on_mutation() {
        let doc = leptos::prelude::document();
        let top = top_dialog(&doc);
        let closed_opener = STATE.with(|s| {
            let mut s = s.borrow_mut();
            if s.dialog == top {
                return None;
            }
            let was_open = s.dialog.is_some();
            let opener = s.opener.take();
            s.dialog = top.clone();
            if top.is_some() {
                // A dialog opened (or one replaced another: keep the first opener).
                s.opener = if was_open {
                    opener
                } else {
                    s.last_outside.clone()
                };
                None
            } else {
                opener
            }
        });
        if let Some(dialog) = &top {
            let inside = active(&doc).is_some_and(|a| dialog.contains(Some(&a)));
            if !inside && let Some(first) = focusables(dialog).first() {
                let _ = first.focus();
            }
        }
        if let Some(opener) = closed_opener {
            // The focused control went away with the dialog: the focus is on <body>.
            let lost = active(&doc).is_none_or(|a| doc.body().is_some_and(|b| b == a));
            if lost && opener.is_connected() {
                let _ = opener.focus();
            }
        }
    }

    /// Starts the watcher; called once when the app mounts.
    pub fn install() {
        let doc = leptos::prelude::document();
        let keydown = Closure::<dyn Fn(web_sys::KeyboardEvent)>::new(on_keydown);
        let focusin = Closure::<dyn Fn(web_sys::FocusEvent)>::new(on_focusin);
        let focusout = Closure::<dyn Fn(web_sys::FocusEvent)>::new(on_focusout);
        // Capture phase: the dialog's own key handlers (Esc) still run afterwards.
        let _ = doc.add_event_listener_with_callback_and_bool(
            "keydown",
            keydown.as_ref().unchecked_ref(),
            true,
        );
        let _ = doc.add_event_listener_with_callback_and_bool(
            "focusin",
            focusin.as_ref().unchecked_ref(),
            true,
        );
        let _ = doc.add_event_listener_with_callback_and_bool(
            "focusout",
            focusout.as_ref().unchecked_ref(),
            true,
        );
        let observed =
            Closure::<dyn Fn(js_sys::Array, web_sys::MutationObserver)>::new(|_, _| on_mutation());
        if let (Ok(observer), Some(body)) = (
            web_sys::MutationObserver::new(observed.as_ref().unchecked_ref()),
            doc.body(),
        ) {
            let init = web_sys::MutationObserverInit::new();
            init.set_child_list(true);
            init.set_subtree(true);
            let _ = observer.observe_with_options(&body, &init);
        }
        // The listeners live as long as the page.
        keydown.forget();
        focusin.forget();
        focusout.forget();
        observed.forget();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tab_cycles_forwards_and_backwards() {
        assert_eq!(next_focus(3, Some(0), false), Some(1));
        assert_eq!(next_focus(3, Some(2), false), Some(0));
        assert_eq!(next_focus(3, Some(0), true), Some(2));
        assert_eq!(next_focus(3, Some(2), true), Some(1));
        assert_eq!(next_focus(1, Some(0), false), Some(0));
        assert_eq!(next_focus(3, None, false), Some(0));
        assert_eq!(next_focus(3, None, true), Some(2));
        assert_eq!(next_focus(0, None, false), None);
    }

    #[test]
    fn only_the_ends_and_escapes_need_help() {
        assert!(!must_wrap(3, Some(0), false));
        assert!(!must_wrap(3, Some(1), true));
        assert!(must_wrap(3, Some(2), false));
        assert!(must_wrap(3, Some(0), true));
        assert!(must_wrap(3, None, false));
        assert!(!must_wrap(0, None, true));
        assert!(must_wrap(1, Some(0), false) && must_wrap(1, Some(0), true));
    }
}
