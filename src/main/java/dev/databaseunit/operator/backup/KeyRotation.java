package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.KeyEncryptionKey;

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
 * of the previous KEKs) and wrapped again with the current KEK, and only the small manifest is rewritten, with a MAC
 * under the current key. Manifests under the current key that have no MAC yet (written before manifests were
 * authenticated) get one, once their data key is proven to unwrap. Backups whose KEK is no longer listed are
 * reported, never touched: they need that key back in {@code spec.encryption.previousKeys} before it may go.
 */
public final class KeyRotation {
  private KeyRotation() {}

  /**
   * @param authenticated ids of manifests under the current key that got their first MAC
   * @param strandedByFingerprint backup ids whose KEK (by fingerprint) is neither the current nor a listed previous key
   */
  public record Result(List<String> rewrapped, List<String> authenticated, Map<String, List<String>> strandedByFingerprint) {
    static final Result NONE = new Result(List.of(), List.of(), Map.of());
  }

  public static Result rewrap(BackupCatalog catalog, KeyEncryptionKey current, String currentKeyId, List<KeyEncryptionKey> previous)
      throws IOException {
    Map<String, KeyEncryptionKey> byFingerprint = previous.stream()
        .collect(Collectors.toMap(KeyEncryptionKey::fingerprint, Function.identity(), (a, b) -> a));
    List<String> rewrapped = new ArrayList<>();
    List<String> authenticated = new ArrayList<>();
    List<BackupManifest> stranded = new ArrayList<>();
    for (BackupManifest manifest : catalog.list()) {
      var encryption = manifest.encryption();
      if (encryption.keyFingerprint().equals(current.fingerprint())) {
        if (ManifestMac.verify(manifest, current) == ManifestMac.Authenticity.UNAUTHENTICATED) {
          BackupReader.dataKey(manifest, current);
          catalog.writeManifest(ManifestMac.sign(manifest, current));
          authenticated.add(manifest.backupId());
        }
        continue;
      }
      KeyEncryptionKey old = byFingerprint.get(encryption.keyFingerprint());
      if (old == null) {
        stranded.add(manifest);
        continue;
      }
      // A modified manifest is not re-wrapped (and so not blessed with a MAC under the current key).
      ManifestMac.verify(manifest, old);
      byte[] wrapped;
      try {
        wrapped = current.wrap(old.unwrap(Base64.getDecoder().decode(encryption.wrappedDataKey())));
      } catch (GeneralSecurityException e) {
        throw new IOException("The data key of backup " + manifest.backupId() + " does not unwrap with key "
            + old.fingerprint() + ": its manifest was modified", e);
      }
      catalog.writeManifest(ManifestMac.sign(manifest.withEncryption(new BackupManifest.EncryptionInfo(encryption.algorithm(),
          encryption.chunkSize(), currentKeyId != null ? currentKeyId : current.fingerprint(), current.fingerprint(),
          Base64.getEncoder().encodeToString(wrapped))), current));
      rewrapped.add(manifest.backupId());
    }
    return new Result(List.copyOf(rewrapped), List.copyOf(authenticated), stranded.stream().collect(Collectors.groupingBy(
        m -> m.encryption().keyFingerprint(), Collectors.mapping(BackupManifest::backupId, Collectors.toList()))));
  }
}
