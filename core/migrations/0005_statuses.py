from tortoise import migrations
from tortoise.migrations import operations as ops
from core.kinds import HoldStatus
from core.kinds import OrderStatus
from tortoise import fields


class Migration(migrations.Migration):
    dependencies = [("models", "0004_fulfilment")]

    initial = False

    operations = [
        ops.AlterField(
            model_name="Order",
            name="status",
            field=fields.CharEnumField(
                default=OrderStatus.PAID,
                description="PAID: paid\nFLAGGED: flagged\nREFUND_PENDING: refund_pending\nREFUNDED: refunded\nDISPUTED: disputed",
                enum_type=OrderStatus,
                max_length=16,
            ),
        ),
        ops.AlterField(
            model_name="Reservation",
            name="status",
            field=fields.CharEnumField(
                default=HoldStatus.HELD,
                description="HELD: held\nPAID: paid\nEXPIRED: expired\nCANCELLED: cancelled\nREFUNDED: refunded",
                enum_type=HoldStatus,
                max_length=16,
            ),
        ),
    ]
