"""Crawlers: one module per source kind, each turning file bytes into findings."""

from __future__ import annotations

from modelbom.crawlers.base import Crawler, CrawlError, FileInput, NeedBytes, scope_of_path
from modelbom.crawlers.comfyui import ComfyUICrawler
from modelbom.crawlers.config import ConfigCrawler
from modelbom.crawlers.dotenv import DotenvCrawler
from modelbom.crawlers.hf_files import HfFilesCrawler
from modelbom.crawlers.javascript import JavaScriptCrawler
from modelbom.crawlers.license_files import LicenseFilesCrawler
from modelbom.crawlers.manifests import ManifestsCrawler
from modelbom.crawlers.markdown import MarkdownCrawler
from modelbom.crawlers.notebook import NotebookCrawler
from modelbom.crawlers.prompts import PromptsCrawler
from modelbom.crawlers.python import PythonCrawler
from modelbom.crawlers.shell import ShellCrawler
from modelbom.crawlers.weights import WeightsCrawler

__all__ = [
    "ComfyUICrawler",
    "ConfigCrawler",
    "CrawlError",
    "Crawler",
    "DotenvCrawler",
    "FileInput",
    "HfFilesCrawler",
    "JavaScriptCrawler",
    "LicenseFilesCrawler",
    "ManifestsCrawler",
    "MarkdownCrawler",
    "NeedBytes",
    "NotebookCrawler",
    "PromptsCrawler",
    "PythonCrawler",
    "ShellCrawler",
    "WeightsCrawler",
    "default_crawlers",
    "scope_of_path",
]


def default_crawlers() -> list[Crawler]:
    """A fresh instance of every crawler modelbom runs by default, in a fixed order.

    Crawlers may keep state for one scan (names imported across modules, folders of a
    diffusers pipeline), so each scan gets new instances.
    """
    return [
        PythonCrawler(),
        ConfigCrawler(),
        HfFilesCrawler(),
        WeightsCrawler(),
        LicenseFilesCrawler(),
        ManifestsCrawler(),
        JavaScriptCrawler(),
        ComfyUICrawler(),
        PromptsCrawler(),
        DotenvCrawler(),
        NotebookCrawler(),
        ShellCrawler(),
        MarkdownCrawler(),
    ]
