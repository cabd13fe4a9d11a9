package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.BackupSchedule;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicyStatus.OnDemandRequest;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * On-demand backups and restore tests, asked for with an annotation whose value is a token: a token is handled once
 * (its outcome is recorded in status with it), so re-applying the same manifest or restarting the operator never runs
 * it again, and writing a new token runs again. Pure functions over the annotations and the last handled request.
 */
public final class OnDemand {
  /** Any new value asks for one backup now. */
  public static final String BACKUP_NOW = "databaseunit.dev/backup-now";
  /** The tier of an on-demand backup (its retention); the first schedule's tier when absent. */
  public static final String BACKUP_TIER = "databaseunit.dev/backup-tier";
  /** Any new value asks for one restore test now. */
  public static final String RESTORE_TEST_NOW = "databaseunit.dev/restore-test-now";
  /** Tokens are compared and recorded up to this length (a Kubernetes name's). */
  static final int MAX_TOKEN = 253;

  /**
   * A request not handled yet.
   *
   * @param tier the tier of a backup (null for a restore test)
   * @param rejection why it cannot run, or null
   */
  public record Request(String token, Tier tier, String rejection) {}

  private OnDemand() {}

  /** The backup asked for by the annotations, unless its token was handled already. */
  public static Optional<Request> pendingBackup(Map<String, String> annotations, OnDemandRequest lastHandled,
      List<BackupSchedule> schedules) {
    return pendingToken(annotations, BACKUP_NOW, lastHandled).map(token -> {
      String named = annotations.get(BACKUP_TIER);
      if (named == null || named.isBlank()) {
        return schedules.isEmpty() ? new Request(token, null, "the policy has no schedule to take a tier from")
            : new Request(token, schedules.getFirst().tier(), null);
      }
      String wanted = named.strip().toLowerCase(Locale.ROOT);
      return schedules.stream().map(BackupSchedule::tier).filter(t -> t.name().toLowerCase(Locale.ROOT).equals(wanted)).findFirst()
          .map(tier -> new Request(token, tier, null))
          .orElseGet(() -> new Request(token, null, BACKUP_TIER + " names tier '" + truncate(named.strip(), 32)
              + "', which no schedule of the policy has (its retention would be unknown); the policy's tiers: "
              + schedules.stream().map(s -> s.tier().name().toLowerCase(Locale.ROOT)).toList()));
    });
  }

  /** The restore test asked for by the annotations, unless its token was handled already. */
  public static Optional<Request> pendingRestoreTest(Map<String, String> annotations, OnDemandRequest lastHandled) {
    return pendingToken(annotations, RESTORE_TEST_NOW, lastHandled).map(token -> new Request(token, null, null));
  }

  private static Optional<String> pendingToken(Map<String, String> annotations, String key, OnDemandRequest lastHandled) {
    String value = annotations != null ? annotations.get(key) : null;
    if (value == null || value.isBlank()) {
      return Optional.empty();
    }
    String token = truncate(value.strip(), MAX_TOKEN);
    return lastHandled != null && token.equals(lastHandled.token()) ? Optional.empty() : Optional.of(token);
  }

  private static String truncate(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }
}
