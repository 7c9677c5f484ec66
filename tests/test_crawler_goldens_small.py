"""Golden findings of the small crawlers (.env files, license files next to models)."""

from __future__ import annotations

from modelbom.crawlers.dotenv import DotenvCrawler
from modelbom.crawlers.license_files import LicenseFilesCrawler
from tests.support import crawler_golden


def test_dotenv_golden() -> None:
    result = crawler_golden([DotenvCrawler()], "crawlers/dotenv", "crawler-dotenv.findings.json")
    ids = {f.id for f in result.findings}
    assert "acme/push-target" not in ids and "/var/cache/models" not in ids
    assert "sentence-transformers/all-MiniLM-L6-v2" in ids


def test_license_files_golden() -> None:
    result = crawler_golden(
        [LicenseFilesCrawler()], "crawlers/license-files", "crawler-license-files.findings.json"
    )
    got = {(f.id, f.properties["license"]) for f in result.findings}
    # Folders with model artifacts only: the code repository's own LICENSE files give nothing.
    assert got == {("models/llama-ft", "llama3.1"), ("models/sd-lora", "apache-2.0")}
