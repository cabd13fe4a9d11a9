package dev.databaseunit.operator.backup;

import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Key rotation without re-uploading data: each backup's data key is unwrapped with the key that wrapped it (one
 * of the previous KEKs) and wrapped again with the current KEK, and only the small manifest is rewritten. Backups
 * whose KEK is no longer listed are reported, never touched: they need that key back in
 * {@code spec.encryption.previousKeys} before it may go.
 */
public final class KeyRotation {
  private KeyRotation() {}

  /** @param stranded backup ids whose KEK (by fingerprint) is neither the current nor a listed previous key */
  public record Result(List<String> rewrapped, Map<String, List<String>> strandedByFingerprint) {
    static final Result NONE = new Result(List.of(), Map.of());
  }

  public static Result rewrap(BackupCatalog catalog, KeyEncryptionKey current, String currentKeyId, List<KeyEncryptionKey> previous)
      throws IOException {
    Map<String, KeyEncryptionKey> byFingerprint = previous.stream()
        .collect(Collectors.toMap(KeyEncryptionKey::fingerprint, Function.identity(), (a, b) -> a));
    List<String> rewrapped = new ArrayList<>();
    List<BackupManifest> stranded = new ArrayList<>();
    for (BackupManifest manifest : catalog.list()) {
      var encryption = manifest.encryption();
      if (encryption.keyFingerprint().equals(current.fingerprint())) {
        continue;
      }
      KeyEncryptionKey old = byFingerprint.get(encryption.keyFingerprint());
      if (old == null) {
        stranded.add(manifest);
        continue;
      }
      byte[] wrapped;
      try {
        wrapped = current.wrap(old.unwrap(Base64.getDecoder().decode(encryption.wrappedDataKey())));
      } catch (GeneralSecurityException e) {
        throw new IOException("The data key of backup " + manifest.backupId() + " does not unwrap with key "
            + old.fingerprint() + ": its manifest was modified", e);
      }
      catalog.writeManifest(manifest.withEncryption(new BackupManifest.EncryptionInfo(encryption.algorithm(),
          encryption.chunkSize(), currentKeyId != null ? currentKeyId : current.fingerprint(), current.fingerprint(),
          Base64.getEncoder().encodeToString(wrapped))));
      rewrapped.add(manifest.backupId());
    }
    return new Result(List.copyOf(rewrapped), stranded.stream().collect(Collectors.groupingBy(
        m -> m.encryption().keyFingerprint(), Collectors.mapping(BackupManifest::backupId, Collectors.toList()))));
  }
}
