"""Move every stored identity number to the current FIELD_ENCRYPTION_KEY.

Run after a rotation: the new secret in FIELD_ENCRYPTION_KEY, the previous one moved to
FIELD_ENCRYPTION_OLD_KEYS (every process restarted with both). For each branch, in one
transaction of its own:

1. each insured employee's (参保员工) identity number is decrypted (current or old key),
   re-encrypted under the current key when it is not already, and re-hashed;
2. every hash of those numbers under an old key is mapped to the current one where hashes are
   kept beside the number: the branch's payroll entries (工资表) and HQ's identity registry in
   the public schema (the branch's spans, and the list of repeated hashes, kept by the same rule
   as the monthly compute's registration).

Payroll rows of people who are not insured employees of the branch keep their hash: only the
hash is stored, so nothing says whose it is. They are counted in the output; they match again
once that client's payroll list of the month is imported anew. The audit history of employees
(simple_history) keeps the hash it recorded; its rows are linked by employee id, not by hash.

Idempotent and safe to re-run after an interruption: a branch is either wholly done or not at
all, a row already under the current key is not rewritten, and a second run changes nothing.
Until every branch is done, a person insured in a done branch and in a branch still to do is
registered under two hashes, so run it to the end before relying on the cross-branch check;
then FIELD_ENCRYPTION_OLD_KEYS may be emptied.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django_tenants.utils import schema_context

from social_insurance import crypto

BATCH_SIZE = 2000


@dataclass
class BranchCounts:
    employees: int = 0
    reencrypted: int = 0
    rehashed: int = 0
    payroll_rehashed: int = 0
    payroll_left: int = 0
    spans_rehashed: int = 0
    repeated_added: int = 0
    repeated_removed: int = 0


class Command(BaseCommand):
    help = ("Re-encrypt and re-hash every insured employee's identity number under FIELD_ENCRYPTION_KEY, "
            "branch by branch, and map the old hashes in payroll entries and HQ's identity registry. "
            "Idempotent; safe to re-run.")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE,
                            help=f"employees read and written per statement (default {BATCH_SIZE})")

    def handle(self, *args, batch_size: int, **options):
        from branches.models import Branch

        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1")
        crypto.clear_caches()  # the keys this process was started with, whatever ran before
        total = BranchCounts()
        branches = list(Branch.objects.exclude(schema_name="public").order_by("code"))
        for branch in branches:
            with schema_context(branch.schema_name), transaction.atomic():
                counts = rotate_branch(branch, batch_size=batch_size)
            for f in fields(BranchCounts):
                setattr(total, f.name, getattr(total, f.name) + getattr(counts, f.name))
            self.stdout.write(
                f"{branch.name} ({branch.code}): {counts.employees} employees read, {counts.reencrypted} re-encrypted, "
                f"{counts.rehashed} re-hashed; payroll rows re-hashed {counts.payroll_rehashed}; HQ registry spans "
                f"re-hashed {counts.spans_rehashed}, repeated hashes added {counts.repeated_added}, "
                f"removed {counts.repeated_removed}")
            if counts.payroll_left:
                self.stdout.write(
                    f"  {counts.payroll_left} payroll rows name no insured employee of this branch and were left as "
                    f"they are (only their hash is kept, so a row under an old key cannot be re-hashed); they match "
                    f"again when that client's payroll list of the month is imported anew.")
        with transaction.atomic():
            profiles, rewritten = rotate_payment_profiles()
        self.stdout.write(f"HQ payment data (工资发放信息): {profiles} people read, {rewritten} re-encrypted or re-hashed")
        self.stdout.write(self.style.SUCCESS(
            f"done: {len(branches)} branches, {total.employees} employees read, {total.reencrypted} re-encrypted, "
            f"{total.rehashed} re-hashed, {total.payroll_rehashed} payroll rows re-hashed, "
            f"{total.spans_rehashed} registry spans re-hashed, {total.payroll_left} payroll rows left as they are"))


def rotate_branch(branch, *, batch_size: int = BATCH_SIZE) -> BranchCounts:
    """One branch, inside the caller's transaction and the branch's schema."""
    from social_insurance.models import MonthCycle

    counts = BranchCounts()
    with connection.cursor() as cur:
        # The month computes and payroll imports lock their month's cycle first: waiting for
        # those under way and holding the others off keeps a compute from registering hashes
        # it read before this transaction rewrote them.
        list(MonthCycle.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
        cur.execute("DROP TABLE IF EXISTS pg_temp.si_key_map")
        cur.execute("CREATE TEMP TABLE si_key_map (old_hash varchar(64) PRIMARY KEY, new_hash varchar(64) NOT NULL) "
                    "ON COMMIT DROP")
        last_id = 0
        while True:
            cur.execute("SELECT id, id_number_encrypted, id_number_hash FROM social_insurance_insuredemployee "
                        "WHERE id > %s ORDER BY id LIMIT %s", [last_id, batch_size])
            rows = cur.fetchall()
            if not rows:
                break
            last_id = rows[-1][0]
            counts.employees += len(rows)
            ids, tokens, new_hashes, old, new = [], [], [], [], []
            for pk, token, stored_hash in rows:
                try:
                    number, fresh = crypto.reencrypt_identity(token)
                except crypto.InvalidToken:
                    raise CommandError(
                        f"{branch.name} ({branch.code}): employee {pk}'s identity number is under none of the "
                        f"configured keys; add the key it was encrypted with to FIELD_ENCRYPTION_OLD_KEYS and run "
                        f"again (this branch was left unchanged)") from None
                hashes = crypto.identity_hashes(number)
                current = hashes[0]
                if fresh is not None or stored_hash != current:
                    ids.append(pk)
                    tokens.append(fresh or token)
                    new_hashes.append(current)
                    counts.reencrypted += fresh is not None
                    counts.rehashed += stored_hash != current
                # Every old-key hash of the number, and the stored one, lead to the current hash:
                # payroll rows imported under an old key are found whatever the employee row holds.
                for h in {*hashes[1:], stored_hash} - {current}:
                    old.append(h)
                    new.append(current)
            if ids:
                cur.execute(
                    "UPDATE social_insurance_insuredemployee e SET id_number_encrypted = v.token, id_number_hash = v.hash "
                    "FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS v(id, token, hash) WHERE e.id = v.id",
                    [ids, tokens, new_hashes])
            if old:
                cur.execute("INSERT INTO si_key_map (old_hash, new_hash) SELECT * FROM unnest(%s::text[], %s::text[]) "
                            "ON CONFLICT (old_hash) DO NOTHING", [old, new])
        cur.execute("UPDATE social_insurance_payrollentry p SET id_number_hash = m.new_hash FROM si_key_map m "
                    "WHERE p.id_number_hash = m.old_hash")
        counts.payroll_rehashed = cur.rowcount
        cur.execute("SELECT count(*) FROM social_insurance_payrollentry p WHERE NOT EXISTS "
                    "(SELECT 1 FROM social_insurance_insuredemployee e WHERE e.id_number_hash = p.id_number_hash)")
        counts.payroll_left = cur.fetchone()[0]

        # HQ's registry: the same lock as the compute's registration (its last step, as here).
        cur.execute("SELECT pg_advisory_xact_lock(7301, 1)")
        cur.execute("UPDATE public.si_policies_insuredidentityspan s SET id_hash = m.new_hash FROM si_key_map m "
                    "WHERE s.branch_id = %s AND s.id_hash = m.old_hash", [branch.pk])
        counts.spans_rehashed = cur.rowcount
        # Listed as repeated exactly when two spans carry the hash, as the compute keeps it.
        cur.execute("""
            INSERT INTO public.si_policies_repeatedidentity (id_hash)
            SELECT DISTINCT m.new_hash FROM si_key_map m
             WHERE (SELECT count(*) FROM (SELECT 1 FROM public.si_policies_insuredidentityspan s
                                           WHERE s.id_hash = m.new_hash LIMIT 2) two) = 2
            ON CONFLICT (id_hash) DO NOTHING""")
        counts.repeated_added = cur.rowcount
        cur.execute("""
            DELETE FROM public.si_policies_repeatedidentity p USING si_key_map m
             WHERE p.id_hash = m.old_hash
               AND (SELECT count(*) FROM (SELECT 1 FROM public.si_policies_insuredidentityspan s
                                           WHERE s.id_hash = p.id_hash LIMIT 2) two) < 2""")
        counts.repeated_removed = cur.rowcount
    return counts


def rotate_payment_profiles() -> tuple[int, int]:
    """HQ's payment data (public): identity and account numbers re-encrypted under the current
    key, the identity hash recomputed. Through the ORM without a history row: the masked values
    the audit shows do not change. Returns (rows read, rows rewritten)."""
    from commissions.hq.models import PaymentProfile

    read = rewritten = 0
    for p in PaymentProfile.objects.select_for_update().order_by("pk"):
        read += 1
        try:
            number, fresh_id = crypto.reencrypt_identity(p.id_number_enc)
            _account, fresh_account = crypto.reencrypt_identity(p.account_enc)
        except crypto.InvalidToken:
            raise CommandError(f"payment data of user {p.user_id} is under none of the configured keys; add the key "
                               f"it was encrypted with to FIELD_ENCRYPTION_OLD_KEYS and run again") from None
        new_hash = crypto.identity_hash(number)
        if fresh_id or fresh_account or new_hash != p.id_number_hash:
            PaymentProfile.objects.filter(pk=p.pk).update(
                id_number_enc=fresh_id or p.id_number_enc, account_enc=fresh_account or p.account_enc,
                id_number_hash=new_hash)
            rewritten += 1
    return read, rewritten
