"""Perk tokens (README: Perk tokens): a limited, numbered set of signed codes the creator
mints after a live session or a drop, each unlocking a named perk for a window next week;
redeemed once, giftable once, expiring. One file per part: minting (and its rules), gifting,
redeeming, expiring, the news they owe, and their figures."""
