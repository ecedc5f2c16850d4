"""A fan's own data from Discord: `/mydata` hands it over as a file, `/forgetme` erases it
after a confirming button. Both answer ephemerally: no one else sees them."""

from __future__ import annotations

import io

import discord
from discord import app_commands

from adapters import wording
from adapters.discord.fans import say, who
from adapters.discord.views import PostButton
from core import privacy


@app_commands.command(name="mydata", description="Everything held about you, as a file")
async def my_data(interaction: discord.Interaction) -> None:
    data = await privacy.my_data(who(interaction))
    file = discord.File(io.BytesIO(data), filename=wording.MY_DATA_FILE)
    await say(interaction, wording.MY_DATA, file=file)


@app_commands.command(name="forgetme", description="Erase what is held about you (asks first)")
async def forget_me(interaction: discord.Interaction) -> None:
    view = discord.ui.View(timeout=None)
    fan_id = await privacy.ask_to_forget(who(interaction))
    view.add_item(PostButton("forget", fan_id, wording.FORGET_YES))
    view.add_item(PostButton("keep", 0, wording.FORGET_NO))
    await say(interaction, wording.FORGET_ASK, view=view)
