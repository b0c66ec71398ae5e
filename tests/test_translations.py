"""The shipped translations (i18n/<lang>.po): every term of the .pot translated, its placeholders
and markup kept; and, each language loaded as Odoo loads it, the screens a user meets shown in it:
the Settings block, the Outlook button's states, the first-sync preview and a sync-log notice."""

import html
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import polib
from lxml import etree

from odoo import Command
from odoo.tests import tagged
from odoo.tools.misc import file_path
from odoo.tools.translate import xml_translate

from .common import ALICE, TOMORROW, OutlookHttpCase

ADDON = "outlook_calendar_sync"
I18N = Path(file_path(f"{ADDON}/i18n"))
# Python's %-placeholders (%(name)s, %s, %d, %r) and the {name} of a help text.
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%[sdr]|\{[a-z_]+\}")
TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
# What the Outlook button shows in each of its states (outlook_sync_button.xml).
BUTTON_STATES = (
    "Outlook sync",
    "Reconnect Outlook",
    "Outlook · choose how to sync",
    "Outlook ·",
    "Connected",
    "Synced · %s",
    "Outlook · paused",
    "Outlook · error",
)
WITHOUT_MAILBOX_SETTINGS = ["Calendars.ReadWrite", "User.Read"]


def normalized(text):
    return " ".join(text.split())


def view_terms(arch):
    """The terms Odoo translates in an arch, in order, with their whitespace normalized."""
    terms = []
    xml_translate(lambda term: terms.append(normalized(term)), arch)
    return terms


def term_problems(msgid, msgstr):
    """What is broken in ``msgstr`` as a translation of ``msgid``."""
    problems = []
    if sorted(PLACEHOLDER.findall(msgid)) != sorted(PLACEHOLDER.findall(msgstr)):
        problems.append("placeholders differ")
    if sorted(TAG.findall(msgid)) != sorted(TAG.findall(msgstr)):
        problems.append("markup differs")
    elif TAG.search(msgid) and not well_formed(msgstr):
        problems.append("markup not balanced")
    if msgid[: len(msgid) - len(msgid.lstrip())] != msgstr[: len(msgstr) - len(msgstr.lstrip())]:
        problems.append("leading whitespace differs")
    if msgid[len(msgid.rstrip()) :] != msgstr[len(msgstr.rstrip()) :]:
        problems.append("trailing whitespace differs")
    return problems


def well_formed(fragment):
    try:
        etree.fromstring(f"<div>{fragment}</div>")
    except etree.XMLSyntaxError:
        return False
    return True


def filled(msgid, msgstr, english):
    """``msgstr`` with the values the placeholders of ``msgid`` took in ``english``; None when
    ``english`` is not a rendering of ``msgid``."""
    tokens = PLACEHOLDER.findall(msgid)
    pattern = "(.*?)".join(re.escape(part) for part in PLACEHOLDER.split(msgid))
    match = re.fullmatch(pattern, english, re.DOTALL)
    if not match:
        return None
    values = {}
    for token, value in zip(tokens, match.groups(), strict=True):
        values.setdefault(token, value)
    return PLACEHOLDER.sub(lambda token: values[token.group(0)], msgstr)


@tagged("post_install", "-at_install")
class TestTranslations(OutlookHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pot = polib.pofile(str(I18N / f"{ADDON}.pot"))
        cls.languages = {}
        for po_path in sorted(I18N.glob("*.po")):
            lang = (
                cls.env["res.lang"]
                .with_context(active_test=False)
                .search([("iso_code", "=", po_path.stem)], limit=1)
            )
            cls.env["res.lang"]._activate_lang(lang.code)
            cls.languages[lang.code] = polib.pofile(str(po_path))
        cls.env["ir.module.module"]._load_module_terms([ADDON], list(cls.languages), overwrite=True)

    def translations(self, lang):
        """msgid -> msgstr of the language's .po (fuzzy ones are left out: Odoo would load them
        as if they were checked)."""
        return {
            e.msgid: e.msgstr
            for e in self.languages[lang]
            if e.msgstr and not e.obsolete and "fuzzy" not in e.flags
        }

    def python_terms(self):
        return [e.msgid for e in self.pot if "odoo-python" in e.comment]

    def assertRenderedIn(self, lang, english, rendered):
        """``rendered`` is ``english`` (a rendering of one of the .pot's Python terms) in
        ``lang``, placeholders filled with the same values."""
        translations = self.translations(lang)
        for msgid in self.python_terms():
            if filled(msgid, msgid, english) is not None:
                self.assertIn(msgid, translations, f"untranslated in {lang}")
                expected = filled(msgid, translations[msgid], english)
                self.assertEqual(normalized(rendered), normalized(expected), lang)
                return
        self.fail(f"{english!r} is no term of the .pot: run make pot")

    def assertViewIn(self, lang, model, view_type="form", root_xpath=None):
        """The ``view_type`` view of ``model`` shows, in ``lang``, the .po's translation of each
        of its terms and of its fields' labels, helps and choices; in English, only .pot terms."""
        translations = self.translations(lang)
        msgids = {normalized(e.msgid): e.msgid for e in self.pot}

        def render(code):
            views = self.env[model].with_context(lang=code).get_views([(False, view_type)])
            root = etree.fromstring(views["views"][view_type]["arch"])
            if root_xpath:
                [root] = root.xpath(root_xpath)
            names = {field.get("name") for field in root.iter("field")}
            fields = views["models"][model]["fields"]
            texts = view_terms(etree.tostring(root, encoding="unicode"))
            for name in sorted(names & set(fields)):
                field = fields[name]
                texts += [field["string"], *([field["help"]] if field.get("help") else [])]
                texts += [label for _value, label in field.get("selection") or []]
            return [normalized(text) for text in texts]

        english = render("en_US")
        self.assertTrue(english, f"nothing to translate in the {model} {view_type} view")
        missing = [text for text in english if text not in msgids]
        self.assertFalse(missing, f"not in the .pot (run make pot): {missing}")
        expected = [normalized(translations.get(msgids[text], "")) for text in english]
        self.assertEqual(render(lang), expected, lang)

    def test_every_term_is_translated_with_its_placeholders_and_markup(self):
        """For each language, every term of the .pot has a checked translation (not empty, not
        fuzzy) with the same placeholders, the same markup and the same surrounding whitespace;
        and the file says its language, plural forms and UTF-8."""
        self.assertGreaterEqual(len(self.languages), 6)
        for lang, po in self.languages.items():
            with self.subTest(lang=lang):
                self.assertEqual(po.metadata.get("Language"), Path(po.fpath).stem)
                self.assertIn("nplurals=", po.metadata.get("Plural-Forms", ""))
                self.assertIn("charset=UTF-8", po.metadata.get("Content-Type", ""))
                entries = {e.msgid: e for e in po if not e.obsolete}
                problems = []
                for term in self.pot:
                    entry = entries.get(term.msgid)
                    if entry is None or not entry.msgstr:
                        problems.append(f"untranslated: {term.msgid!r}")
                    elif "fuzzy" in entry.flags:
                        problems.append(f"fuzzy: {term.msgid!r}")
                    else:
                        problems += [
                            f"{problem}: {term.msgid!r} -> {entry.msgstr!r}"
                            for problem in term_problems(term.msgid, entry.msgstr)
                        ]
                stale = set(entries) - {term.msgid for term in self.pot}
                problems += [f"not in the .pot (run make pot): {msgid!r}" for msgid in stale]
                self.assertFalse(problems, "\n".join(problems))

    def test_a_broken_translation_is_caught(self):
        """The checks above fail on what they are for."""
        msgid = "Microsoft refused the sign-in (%(reason)s): %(description)s"
        self.assertEqual(term_problems(msgid, "Refus (%(reason)s) : %(description)s"), [])
        self.assertIn("placeholders differ", term_problems(msgid, "Refus (%(raison)s)"))
        self.assertIn("placeholders differ", term_problems("Synced · %s", "Synchronisé"))
        markup = "<strong>Advanced</strong>"
        self.assertIn("markup differs", term_problems(markup, "<b>Avancé</b>"))
        self.assertIn("markup not balanced", term_problems(markup, "</strong>Avancé<strong>"))
        self.assertIn("trailing whitespace differs", term_problems("days back, ", "jours,"))

    def test_settings_block_in_each_language(self):
        """The Outlook block of Settings: its texts, its fields, the permissions it lists and
        the near-real-time status, in each language."""
        for lang in self.languages:
            with self.subTest(lang=lang):
                self.assertViewIn(
                    lang,
                    "res.config.settings",
                    root_xpath="//setting[@id='outlook_calendar_sync_setting']",
                )
                english = self.env["res.config.settings"].with_context(lang="en_US").create({})
                settings = self.env["res.config.settings"].with_context(lang=lang).create({})
                self.assertRenderedIn(
                    lang, english.outlook_webhook_status, settings.outlook_webhook_status
                )
                for text, rendered in zip(
                    self.permission_texts(english.outlook_permissions),
                    self.permission_texts(settings.outlook_permissions),
                    strict=True,
                ):
                    self.assertRenderedIn(lang, text, rendered)

    @staticmethod
    def permission_texts(permissions):
        """What each permission is for, then the note under the list."""
        root = etree.fromstring(f"<div>{permissions}</div>")
        purposes = [html.unescape(code.tail).removeprefix(": ") for code in root.iter("code")]
        return [*purposes, "".join(root.find("div").itertext())]

    def test_button_states_in_each_language(self):
        """The web client's translations of the Outlook button hold each of its texts (the
        label of every state, the menu) in each language."""
        button = [
            e.msgid
            for e in self.pot
            if any("outlook_sync_button" in path for path, _line in e.occurrences)
        ]
        self.assertFalse(set(BUTTON_STATES) - set(button), "a state label is no .pot term")
        for lang in self.languages:
            with self.subTest(lang=lang):
                translations = self.translations(lang)
                modules, _params = self.env["ir.http"].get_translations_for_webclient([ADDON], lang)
                shown = {m["id"]: m["string"] for m in modules[ADDON]["messages"]}
                self.assertEqual(
                    {msgid: shown.get(msgid, "(shown in English)") for msgid in button},
                    {msgid: translations.get(msgid, "(untranslated)") for msgid in button},
                )
                self.assertNotEqual(shown["Outlook sync"], "Outlook sync")

    def test_first_sync_preview_in_each_language(self):
        """Alice signed in: the first-sync preview opens under its title, with its choices,
        counts and warnings, in each language."""
        self.connect("alice", ALICE, choose_default=False)
        account = self.account_of(self.user_alice)
        english = account.with_context(lang="en_US").action_open_first_sync_preview()
        for lang in self.languages:
            with self.subTest(lang=lang):
                action = account.with_context(lang=lang).action_open_first_sync_preview()
                self.assertRenderedIn(lang, english["name"], action["name"])
                self.assertViewIn(lang, action["res_model"])

    def test_sync_log_notice_in_each_language(self):
        """Alice's consent lacks MailboxSettings: the cron's sync that finds it out notes it on
        its log in Alice's language, as it sums the run up."""
        redirect = urlsplit(
            self.emulator.sign_in(ALICE, self.start_sign_in("alice"), WITHOUT_MAILBOX_SETTINGS)
        )
        response = self.url_open(f"{redirect.path}?{redirect.query}", allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:500])
        account = self.account_of(self.user_alice)
        account._choose_first_sync("two_way", push_attendees=False)
        self.travel = self.env["calendar.event.type"].create({"name": "Travel"})
        english = self.cron_sync(account, "en_US")
        [notice] = english.notices
        self.assertIn("MailboxSettings", notice["reason"])
        for lang in self.languages:
            with self.subTest(lang=lang):
                log = self.cron_sync(account, lang)
                self.assertEqual(len(log.notices), 1)
                self.assertRenderedIn(lang, notice["reason"], log.notices[0]["reason"])
                self.assertRenderedIn(
                    lang,
                    english.with_context(lang="en_US").summary,
                    log.with_context(lang=lang).summary,
                )

    def cron_sync(self, account, lang):
        """The cron's sync of ``account`` once its user speaks ``lang``, as the first to find
        the category list refused (a new tagged Odoo event makes it read the list); returns its
        log."""
        self.user_alice.lang = lang
        account.categories_refused = False
        self.env["calendar.event"].create(
            {
                "name": f"Flight {lang}",
                "start": TOMORROW,
                "stop": TOMORROW + timedelta(hours=1),
                "user_id": self.user_alice.id,
                "partner_ids": [Command.set(self.user_alice.partner_id.ids)],
                "categ_ids": [Command.link(self.travel.id)],
            }
        )
        log = account.with_context(lang="en_US")._sync_in_turn()
        self.assertNotEqual(log.state, "failed", log.errors)
        return log
