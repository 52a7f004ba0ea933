"""The media pipeline: staging, the upload of each file to where the bot is pinned,
redelivery, receipts and the periodic storage checks."""
