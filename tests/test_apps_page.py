"""The addon's face in Apps: the icon of its card and its description page, as Odoo builds them.

Odoo tests rather than pure ones: what Apps shows is what ir.module.module computes from the
files (the icon URL of the card, the description run through Odoo's sanitizer with its image
sources rewritten), and only Odoo can say that nothing was stripped or pointed at a missing file.
"""

import base64
import io
import re

from lxml import html
from PIL import Image

from odoo.tests import TransactionCase
from odoo.tools import file_open, file_path

ADDON = "outlook_calendar_sync"
ICON = f"{ADDON}/static/description/icon.png"
INDEX = f"{ADDON}/static/description/index.html"
# What the Apps page cannot run or load: Odoo's sanitizer drops these tags, and one of them
# before the first section (a <script>, <style> or <link>) leaves the whole page empty.
FORBIDDEN_TAGS = {"script", "style", "link", "iframe", "object", "embed", "base", "meta", "form"}


def read_addon_file(test: TransactionCase, path: str, mode: str = "rb") -> bytes | str:
    try:
        with file_open(path, mode, filter_ext=(".png", ".html")) as stream:
            return stream.read()
    except FileNotFoundError:
        test.fail(f"{path} is missing")


def text_of(element: html.HtmlElement) -> str:
    return re.sub(r"\s+", " ", element.text_content()).strip()


class TestAppsPage(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.module = cls.env["ir.module.module"].search([("name", "=", ADDON)])

    def test_apps_card_shows_our_icon(self):
        """The card's icon is our square PNG, not the blank one of base Odoo falls back to."""
        icon = read_addon_file(self, ICON)

        self.assertEqual(self.module.icon, f"/{ICON}")
        self.assertEqual(base64.b64decode(self.module.icon_image), icon)
        image = Image.open(io.BytesIO(icon))
        self.assertEqual(image.format, "PNG")
        self.assertIn(image.size, [(128, 128), (256, 256)])
        self.assertNotEqual(icon, read_addon_file(self, "base/static/description/icon.png"))

    def test_description_page_keeps_everything_through_odoos_sanitizer(self):
        """Apps shows index.html through html_sanitize: every word and picture survives it."""
        source = html.fragment_fromstring(read_addon_file(self, INDEX, "r"), create_parent="div")
        shown = html.fromstring(self.module.description_html)

        self.assertEqual(text_of(shown), text_of(source))
        for heading in ("What it does", "Compared with Odoo's own Outlook Calendar", "Set it up"):
            self.assertIn(heading, [text_of(h3) for h3 in shown.iter("h3")])
        self.assertIn("make demo", text_of(shown))
        self.assertIn("make test", text_of(shown))
        self.assertTrue(shown.xpath("//table//td"), "the comparison table is shown")
        self.assertEqual(len(shown.xpath("//img")), len(source.xpath("//img")))

    def test_description_pictures_are_served_from_the_addon(self):
        """Each picture's URL, as Odoo rewrites it, names a file of static/description/."""
        pictures = html.fromstring(self.module.description_html).xpath("//img")

        self.assertTrue(pictures)
        for picture in pictures:
            source = picture.get("src")
            self.assertTrue(source.startswith(f"/{ADDON}/static/description/"), source)
            self.assertTrue(file_path(source.lstrip("/"), filter_ext=(".png",)))
            self.assertTrue(picture.get("alt"), f"{source} has no alt text")

    def test_description_uses_only_what_the_apps_page_renders(self):
        """No script, style sheet, frame or event handler; nothing loaded from elsewhere."""
        page = read_addon_file(self, INDEX)
        self.assertFalse(page.startswith(b"<?xml"), "Odoo 17+ warns about an XML declaration")
        source = html.fragment_fromstring(page.decode(), create_parent="div")

        for element in source.iter():
            self.assertNotIn(element.tag, FORBIDDEN_TAGS)
            for name, value in element.attrib.items():
                self.assertFalse(name.startswith("on"), f"<{element.tag} {name}>")
                self.assertNotIn("javascript:", value.lower())
            self.assertNotIn("//", element.get("src", ""), "pictures come from the addon")
