package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.ChunkedGcm;
import dev.databaseunit.operator.storage.KeyEncryptionKey;

import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The manifest's authentication: HMAC-SHA256, keyed with a key HKDF derives from the KEK that wrapped the backup's
 * data key, over the manifest's canonical JSON without the MAC (sorted keys, no whitespace). Without it, anyone who
 * may write to the bucket could change row counts, the object key or the sha256 and have a tampered backup pass as
 * good; with it a manifest is trusted only by whoever holds the KEK. Manifests written before have no MAC: they are
 * read as unauthenticated and get one at the next housekeeping (their wrapped data key must still unwrap).
 */
final class ManifestMac {
  private static final String INFO = "databaseunit-manifest-mac-v1";
  private static final ObjectMapper CANONICAL = JsonMapper.builder().addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .build();

  enum Authenticity { AUTHENTICATED, UNAUTHENTICATED }

  private ManifestMac() {}

  /** The manifest with its MAC under {@code kek}, the key that wrapped its data key. */
  static BackupManifest sign(BackupManifest manifest, KeyEncryptionKey kek) {
    return manifest.withMac(Base64.getEncoder().encodeToString(mac(manifest, kek)));
  }

  /** Whether the manifest carries a MAC; one that does not match is a tampered manifest. */
  static Authenticity verify(BackupManifest manifest, KeyEncryptionKey kek) throws ChunkedGcm.TamperedException {
    if (manifest.mac() == null) {
      if (manifest.formatVersion() >= 2) {
        throw new ChunkedGcm.TamperedException("the manifest of backup " + manifest.backupId() + " has no MAC, which every "
            + "manifest of format " + manifest.formatVersion() + " carries: it was removed");
      }
      return Authenticity.UNAUTHENTICATED;
    }
    byte[] given;
    try {
      given = Base64.getDecoder().decode(manifest.mac());
    } catch (IllegalArgumentException e) {
      given = new byte[0];
    }
    if (!MessageDigest.isEqual(given, mac(manifest, kek))) {
      throw new ChunkedGcm.TamperedException("the manifest of backup " + manifest.backupId() + " fails authentication: it was "
          + "modified after it was written");
    }
    return Authenticity.AUTHENTICATED;
  }

  private static byte[] mac(BackupManifest manifest, KeyEncryptionKey kek) {
    try {
      Mac hmac = Mac.getInstance("HmacSHA256");
      hmac.init(new SecretKeySpec(kek.derive(INFO), "HmacSHA256"));
      return hmac.doFinal(CANONICAL.writeValueAsBytes(manifest.withMac(null)));
    } catch (GeneralSecurityException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot compute the MAC of manifest " + manifest.backupId(), e);
    }
  }
}
