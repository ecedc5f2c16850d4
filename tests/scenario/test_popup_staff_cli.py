"""`dropcast popup staff-link` and `dropcast popup pickups` as the creator runs them: a staff
link that opens the scan page, and the list of expected pickups as a table, CSV and PDF."""

from __future__ import annotations

import asyncio
import csv

from tests.pickup_builders import pickup, pop_up
from tests.scenario.dropcast_process import dropcast

BASE = "https://drops.example.com"


async def test_a_staff_link_is_printed_with_its_qr_code_and_opens_as_staff(world, tmp_path):
    here = await pop_up(world.core)
    url = world.app.settings.database_url

    def cli(*args: str):
        return dropcast(tmp_path, "popup", *args, DATABASE_URL=url, PUBLIC_BASE_URL=BASE)

    made = await asyncio.to_thread(cli, "staff-link", str(here), "--name", "Sam", "--hours", "8")
    assert made.returncode == 0, made.stderr
    link = made.stdout.splitlines()[0]
    assert link.startswith(f"{BASE}/scan/")
    assert "▀" in made.stdout or "█" in made.stdout  # the QR code, in the terminal
    assert "For Sam at Hall 4, Lyon, until" in made.stdout
    staff = await world.core.staff_links.read(link.rsplit("/", 1)[1])
    assert staff is not None
    assert (staff.pop_up_id, staff.name) == (here, "Sam")
    for args, said in (
        (("staff-link", "99", "--name", "Sam"), "no pop-up #99"),
        (("staff-link", str(here), "--name", " "), "give a name"),
        (("staff-link", str(here), "--name", "Sam", "--hours", "0"), "--hours"),
    ):
        refused = await asyncio.to_thread(cli, *args)
        assert refused.returncode != 0
        assert said in refused.stderr


async def test_the_pickup_list_as_a_table_csv_and_pdf(world, tmp_path):
    here = await pop_up(world.core)
    bea, ada = await pickup(world.core, here, "Bea"), await pickup(world.core, here, "Ada")
    eve = await pickup(world.core, here, "[red]Eve[/")  # shown as written, not as markup
    await world.core.scanning.collect(bea.code, here, "Sam")
    url = world.app.settings.database_url

    def cli(*args: str):
        return dropcast(tmp_path, "popup", "pickups", *args, DATABASE_URL=url)

    table = await asyncio.to_thread(cli, str(here))
    assert table.returncode == 0, table.stderr
    assert table.stdout.index("Ada") < table.stdout.index("Bea")
    assert "Waiting for pickup" in table.stdout
    assert "Collected at 12:00 UTC" in table.stdout
    assert "[red]Eve[/" in table.stdout
    files = await asyncio.to_thread(cli, str(here), "--csv", "list.csv", "--pdf", "list.pdf")
    assert files.returncode == 0, files.stderr
    with (tmp_path / "list.csv").open(encoding="utf-8") as saved:
        rows = list(csv.reader(saved))
    assert rows == [
        ["Pass", "Fan", "Tier", "Quantity", "Status"],
        [f"#{eve.pass_id}", "[red]Eve[/", "Signed print", "1", "Waiting for pickup"],
        [f"#{ada.pass_id}", "Ada", "Signed print", "1", "Waiting for pickup"],
        [f"#{bea.pass_id}", "Bea", "Signed print", "1", "Collected at 12:00 UTC"],
    ]
    assert (tmp_path / "list.pdf").read_bytes().startswith(b"%PDF")
    missing = await asyncio.to_thread(cli, "99")
    assert missing.returncode != 0
    assert "no pop-up #99" in missing.stderr
