package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.ObjectStore;
import dev.databaseunit.operator.storage.ChunkedGcm;
import dev.databaseunit.operator.storage.KeyEncryptionKey;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.SecretKey;

/**
 * An upload sealed the way backups are (the backup envelope), for objects other than backups (GDPR exports): DUBK v2
 * under a fresh data key bound to an id, the data key wrapped by a KEK, and on {@link #complete()} an authenticated
 * manifest next to the object, so {@code scripts/decrypt-backup.sh --manifest <manifest> --in <object>} opens it.
 */
public final class SealedUpload extends FilterOutputStream {
  private final ObjectStore store;
  private final ObjectStore.Upload upload;
  private final String objectKey;
  private final String manifestKey;
  private final String id;
  private final KeyEncryptionKey kek;
  private final SecretKey dataKey;
  private final MessageDigest sha;
  private final CountingOutputStream stored;
  private final CountingOutputStream plain;
  private boolean completed;

  private SealedUpload(CountingOutputStream plain, ObjectStore store, ObjectStore.Upload upload, String objectKey, String manifestKey,
      String id, KeyEncryptionKey kek, SecretKey dataKey, MessageDigest sha, CountingOutputStream stored) {
    super(plain);
    this.plain = plain;
    this.store = store;
    this.upload = upload;
    this.objectKey = objectKey;
    this.manifestKey = manifestKey;
    this.id = id;
    this.kek = kek;
    this.dataKey = dataKey;
    this.sha = sha;
    this.stored = stored;
  }

  /** @param id what the object is bound to (its manifest's backupId field) */
  public static SealedUpload start(ObjectStore store, String objectKey, String manifestKey, String id, KeyEncryptionKey kek)
      throws IOException {
    SecretKey dataKey = KeyEncryptionKey.newDataKey();
    MessageDigest sha = BackupService.sha256();
    ObjectStore.Upload upload = store.create(objectKey);
    var stored = new CountingOutputStream(upload);
    OutputStream cipher = ChunkedGcm.encrypt(new DigestOutputStream(stored, sha), dataKey, ChunkedGcm.DEFAULT_CHUNK_SIZE, id);
    return new SealedUpload(new CountingOutputStream(cipher), store, upload, objectKey, manifestKey, id, kek, dataKey, sha, stored);
  }

  @Override
  public void write(byte[] b, int off, int len) throws IOException {
    out.write(b, off, len);
  }

  /** Seals the last chunk, completes the upload and writes the manifest; the object counts only from here. */
  public void complete() throws IOException {
    out.close();
    var manifest = new BackupManifest(BackupManifest.FORMAT_VERSION, id, null, null, null, null, null, null, null, objectKey, "none",
        plain.count(), stored.count(), HexFormat.of().formatHex(sha.digest()),
        new BackupManifest.EncryptionInfo("AES-256-GCM, chunked v2 (bound to the id)", ChunkedGcm.DEFAULT_CHUNK_SIZE,
            kek.fingerprint(), kek.fingerprint(), Base64.getEncoder().encodeToString(kek.wrap(dataKey))), List.of(), null);
    store.put(manifestKey, ManifestMac.sign(manifest, kek).toJson());
    completed = true;
  }

  public void abort() {
    upload.abort();
  }

  /** Only {@link #complete()} finishes the object; closing without it is an abort. */
  @Override
  public void close() {
    if (!completed) {
      abort();
    }
  }
}
