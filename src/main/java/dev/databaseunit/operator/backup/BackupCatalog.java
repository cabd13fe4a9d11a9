package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.ObjectStore;
import dev.databaseunit.operator.storage.KeyEncryptionKey;

import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import java.io.IOException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The backups of one policy in object storage: {@code <prefix><backupId>/backup.dump.enc} and, once that object is
 * complete, {@code <prefix><backupId>/manifest.json}. Only backups with a manifest are listed; anything else under
 * the prefix is the remains of an interrupted backup and is removed by {@link #removeIncomplete(Set)}. Only keys of
 * exactly that shape belong to the catalog: a policy whose prefix is a parent of another's (the bucket root, say)
 * never lists, expires or removes the other's objects.
 */
public final class BackupCatalog {
  private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT)
      .withZone(ZoneOffset.UTC);
  private static final SecureRandom RANDOM = new SecureRandom();
  /** What {@link #newBackupId} makes; anything else under a prefix is not this catalog's (another policy's prefix, say). */
  private static final java.util.regex.Pattern BACKUP_ID =
      java.util.regex.Pattern.compile("(hourly|daily|weekly|monthly)-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{4}");

  private final ObjectStore store;
  private final String prefix;

  public BackupCatalog(ObjectStore store, String prefix) {
    this.store = store;
    this.prefix = prefix == null ? "" : prefix;
  }

  /** A new id, sortable by time within a tier and unique even for two backups in the same second. */
  public static String newBackupId(Tier tier, Instant start) {
    byte[] random = new byte[2];
    RANDOM.nextBytes(random);
    return tier.name().toLowerCase(Locale.ROOT) + "-" + ID_TIME.format(start) + "-" + HexFormat.of().formatHex(random);
  }

  public ObjectStore store() {
    return store;
  }

  public String objectKey(String backupId) {
    return prefix + backupId + "/" + BackupManifest.OBJECT_NAME;
  }

  private String manifestKey(String backupId) {
    return prefix + backupId + "/" + BackupManifest.FILE_NAME;
  }

  public void writeManifest(BackupManifest manifest) throws IOException {
    store.put(manifestKey(manifest.backupId()), manifest.toJson());
  }

  /** Good backups (those with a manifest), oldest first. */
  public List<BackupManifest> list() throws IOException {
    List<BackupManifest> manifests = new ArrayList<>();
    for (var object : store.list(prefix)) {
      if (backupIdOf(object.key()).isPresent() && object.key().endsWith("/" + BackupManifest.FILE_NAME)) {
        manifests.add(BackupManifest.fromJson(store.get(object.key())));
      }
    }
    manifests.sort(Comparator.comparing(BackupManifest::endTime));
    return manifests;
  }

  /**
   * Deletes the objects of backups that never got a manifest (interrupted), except those still being written.
   *
   * @return the ids removed
   */
  public Set<String> removeIncomplete(Set<String> inProgress) throws IOException {
    Set<String> all = new TreeSet<>();
    Set<String> complete = new TreeSet<>();
    for (var object : store.list(prefix)) {
      backupIdOf(object.key()).ifPresent(id -> {
        all.add(id);
        if (object.key().endsWith("/" + BackupManifest.FILE_NAME)) {
          complete.add(id);
        }
      });
    }
    // An upload cut off mid-way has no object yet, only parts the store keeps (and bills) until aborted.
    store.unfinishedUploads(prefix).forEach(key -> backupIdOf(key).ifPresent(all::add));
    all.removeAll(complete);
    all.removeAll(inProgress);
    for (String id : all) {
      discard(id);
    }
    return all;
  }

  /** The backup a key belongs to: {@code <prefix><backupId>/<file>}, nothing deeper, an id of our shape. */
  private java.util.Optional<String> backupIdOf(String key) {
    String rest = key.substring(prefix.length());
    int slash = rest.indexOf('/');
    if (slash <= 0 || rest.indexOf('/', slash + 1) >= 0) {
      return java.util.Optional.empty();
    }
    String id = rest.substring(0, slash);
    return BACKUP_ID.matcher(id).matches() ? java.util.Optional.of(id) : java.util.Optional.empty();
  }

  /**
   * Copies a backup into another catalog (another bucket, region or provider), streamed so it works across
   * endpoints, and verifies the copy's sha256 against the manifest before writing the manifest there, authenticated
   * with {@code kek} (the key that wrapped its data key) for its own object key.
   */
  public void copyTo(BackupCatalog target, BackupManifest manifest, KeyEncryptionKey kek) throws IOException {
    String targetKey = target.objectKey(manifest.backupId());
    try (var in = store.open(manifest.objectKey())) {
      ObjectStore.Upload upload = target.store.create(targetKey);
      // Completed only once the whole source was read: a try-with-resources would complete a truncated object
      // before its catch could abort it.
      try {
        in.transferTo(upload);
        upload.close();
      } catch (IOException | RuntimeException e) {
        upload.abort();
        throw e;
      }
    }
    // Read back what the target stored: that is what a restore from the secondary region would get.
    var sha = BackupService.sha256();
    try (var stored = new java.security.DigestInputStream(target.store.open(targetKey), sha)) {
      stored.transferTo(java.io.OutputStream.nullOutputStream());
    }
    String copied = HexFormat.of().formatHex(sha.digest());
    if (!copied.equals(manifest.sha256())) {
      target.discard(manifest.backupId());
      throw new IOException("The copy of backup " + manifest.backupId() + " has sha256 " + copied + ", the manifest says "
          + manifest.sha256());
    }
    target.writeManifest(ManifestMac.sign(manifest.withObjectKey(targetKey), kek));
  }

  /** Removes a backup: the manifest first, so a half-deleted backup is never listed as good. */
  public void discard(String backupId) throws IOException {
    store.delete(manifestKey(backupId));
    store.delete(objectKey(backupId));
    store.abortUnfinishedUploads(prefix + backupId + "/");
  }

  public String describe() {
    return store.describe() + "/" + prefix;
  }
}
