package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which backups expire: a pure function over the good backups (those with a manifest). A backup expires when it
 * is older than its tier's retention, except the newest backup overall, the newest of each tier (so a tier whose
 * schedule stopped still keeps one), backups in use (a restore or restore test reading them), and backups of a
 * tier the policy no longer lists (nothing says how long to keep them, so they stay).
 */
public final class Retention {
  private Retention() {}

  public record Backup(String id, Tier tier, Instant endTime) {
    static Backup of(BackupManifest m) {
      return new Backup(m.backupId(), m.tier(), m.endTime());
    }
  }

  public static Set<String> expired(List<Backup> backups, Map<Tier, Duration> retention, Set<String> inUse, Instant now) {
    Set<String> protectedIds = new HashSet<>(inUse);
    backups.stream().max(Comparator.comparing(Backup::endTime)).ifPresent(b -> protectedIds.add(b.id()));
    backups.stream()
        .collect(Collectors.groupingBy(Backup::tier, Collectors.maxBy(Comparator.comparing(Backup::endTime))))
        .values().forEach(newest -> newest.ifPresent(b -> protectedIds.add(b.id())));
    return backups.stream()
        .filter(b -> !protectedIds.contains(b.id()))
        .filter(b -> retention.containsKey(b.tier()))
        .filter(b -> Duration.between(b.endTime(), now).compareTo(retention.get(b.tier())) > 0)
        .map(Backup::id)
        .collect(Collectors.toUnmodifiableSet());
  }
}
