package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.ChunkedGcm;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Compression;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import java.io.IOException;
import java.time.Instant;
import java.util.List;

/**
 * What a finished backup is, written as {@code manifest.json} next to its object and only after the object is
 * complete: a backup without a manifest is never listed as good. It holds the data key only wrapped by the KEK
 * (so a key rotation rewrites manifests, not dumps), never a key or password in the clear.
 *
 * @param compression how the archive is compressed, in words (for people reading the manifest)
 * @param archiveCompression how the archive is compressed, for the restore: ZSTD is a zstd stream over pg_dump's
 *     uncompressed custom format, undone before pg_restore; null in manifests written before it existed, whose archives
 *     pg_dump compressed itself (as GZIP)
 * @param dumpBytes size of the pg_dump output (custom format; compressed by pg_dump only under GZIP)
 * @param storedBytes size of the stored, encrypted object
 * @param sha256 hex sha256 of the stored object, as downloaded
 * @param tables row counts (and checksums of small tables) taken in the same snapshot that pg_dump dumped
 * @param mac HMAC-SHA256 of everything else, keyed from the KEK that wrapped the data key ({@link ManifestMac}); null in
 *     manifests written before manifests were authenticated, which get one at the next housekeeping
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackupManifest(
    int formatVersion,
    String backupId,
    Tier tier,
    String databaseUnit,
    Instant startTime,
    Instant endTime,
    String database,
    String serverVersion,
    String walLsn,
    String objectKey,
    String compression,
    Compression archiveCompression,
    long dumpBytes,
    long storedBytes,
    String sha256,
    EncryptionInfo encryption,
    List<TableSnapshot.Table> tables,
    String mac) {

  /** 2: the object is bound to the backup id (ChunkedGcm v2) and the manifest carries a MAC. 1 is still read. */
  public static final int FORMAT_VERSION = 2;
  public static final String FILE_NAME = "manifest.json";
  public static final String OBJECT_NAME = "backup.dump.enc";

  /**
   * @param keyId the spec's name for the KEK (or its fingerprint when the spec names none)
   * @param keyFingerprint fingerprint of the KEK that wrapped the data key, checked before unwrapping
   * @param wrappedDataKey the per-backup data key, AES-key-wrapped by the KEK, base64
   */
  public record EncryptionInfo(String algorithm, int chunkSize, String keyId, String keyFingerprint, String wrappedDataKey) {}

  /** A manifest of a sealed upload or of a backup from before archiveCompression was recorded. */
  public BackupManifest(int formatVersion, String backupId, Tier tier, String databaseUnit, Instant startTime, Instant endTime,
      String database, String serverVersion, String walLsn, String objectKey, String compression, long dumpBytes, long storedBytes,
      String sha256, EncryptionInfo encryption, List<TableSnapshot.Table> tables, String mac) {
    this(formatVersion, backupId, tier, databaseUnit, startTime, endTime, database, serverVersion, walLsn, objectKey, compression,
        null, dumpBytes, storedBytes, sha256, encryption, tables, mac);
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .registerModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(SerializationFeature.INDENT_OUTPUT);

  public byte[] toJson() {
    try {
      return JSON.writeValueAsBytes(this);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot serialise manifest " + backupId, e);
    }
  }

  public static BackupManifest fromJson(byte[] json) throws IOException {
    return JSON.readValue(json, BackupManifest.class);
  }

  /** Re-wrapped: its MAC must be made again, with the new key. */
  public BackupManifest withEncryption(EncryptionInfo rewrapped) {
    return new BackupManifest(formatVersion, backupId, tier, databaseUnit, startTime, endTime, database, serverVersion,
        walLsn, objectKey, compression, archiveCompression, dumpBytes, storedBytes, sha256, rewrapped, tables, null);
  }

  /** The same backup stored under another key (a cross-region copy): its MAC must be made again. */
  public BackupManifest withObjectKey(String key) {
    return new BackupManifest(formatVersion, backupId, tier, databaseUnit, startTime, endTime, database, serverVersion,
        walLsn, key, compression, archiveCompression, dumpBytes, storedBytes, sha256, encryption, tables, null);
  }

  public BackupManifest withMac(String newMac) {
    return new BackupManifest(formatVersion, backupId, tier, databaseUnit, startTime, endTime, database, serverVersion,
        walLsn, objectKey, compression, archiveCompression, dumpBytes, storedBytes, sha256, encryption, tables, newMac);
  }
}
