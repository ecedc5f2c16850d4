"""Live audio sessions: scheduled → live → ended (or cancelled), each step one conditional
update; live codes said on air and check-ins record who was there and earn points once.

Each module owns one idea, and the app holds each part as `core/drops/`'s are held
(`Core.live`, `Core.live_reminders`, `Core.attendance`): lifecycle (plan, start, end,
cancel, what a session did), reminders (sign-ups, reminders, late nudges, countdown
refreshes), attendance (live codes, check-ins, listening in a voice channel), summary (the
figures of a session), with views holding the plain values callers get back."""
