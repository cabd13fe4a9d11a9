package dev.databaseunit.operator.backup;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentHashMap.KeySetView;

/**
 * Backups being read right now (a restore test, a bootstrap's restore or ledger read): retention never deletes them.
 * One instance per operator process, shared by the backup reconciler and the bootstrap. Backup ids carry their time
 * and a random part, so an id names one backup across policies.
 */
public final class BackupsInUse {
  private final KeySetView<String, Boolean> ids = ConcurrentHashMap.newKeySet();

  /** Holds a backup until the returned handle is closed. */
  public Hold hold(String backupId) {
    ids.add(backupId);
    return () -> ids.remove(backupId);
  }

  Set<String> snapshot() {
    return Set.copyOf(ids);
  }

  @FunctionalInterface
  public interface Hold extends AutoCloseable {
    @Override
    void close();
  }
}
