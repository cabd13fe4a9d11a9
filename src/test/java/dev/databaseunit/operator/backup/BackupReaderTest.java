package dev.databaseunit.operator.backup;

import dev.databaseunit.operator.storage.ChunkedGcm;
import dev.databaseunit.operator.storage.KeyEncryptionKey;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStream;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Compression;
import dev.databaseunit.operator.api.v1alpha1.BackupPolicySpec.Tier;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.SecretKey;
import org.junit.jupiter.api.Test;

/** The archive handed to pg_restore is the one pg_dump wrote, whichever way the manifest says it was compressed. */
class BackupReaderTest {
  private static final KeyEncryptionKey KEK = KeyEncryptionKey.fromBase64(Base64.getEncoder().encodeToString(new byte[32]));
  private static final byte[] ARCHIVE = "PGDMP pretend custom-format archive ".repeat(5000).getBytes(StandardCharsets.US_ASCII);

  private record Sealed(BackupManifest manifest, byte[] stored) {}

  /** What BackupService stores: the archive, zstd-compressed when asked, sealed with DUBK v2 under a wrapped data key. */
  private static Sealed seal(byte[] archive, Compression compression) throws IOException {
    SecretKey dataKey = KeyEncryptionKey.newDataKey();
    var stored = new ByteArrayOutputStream();
    OutputStream out = ChunkedGcm.encrypt(stored, dataKey, 4096, "daily-1");
    if (compression == Compression.ZSTD) {
      out = new ZstdOutputStream(out, BackupService.ZSTD_LEVEL);
    }
    out.write(archive);
    out.close();
    byte[] bytes = stored.toByteArray();
    var manifest = new BackupManifest(BackupManifest.FORMAT_VERSION, "daily-1", Tier.DAILY, "ns/app", Instant.EPOCH, Instant.EPOCH,
        "app", "15", null, "daily-1/backup.dump.enc", compression == null ? "pg_dump custom format (zlib, pg_dump default level)"
            : BackupService.describe(compression), compression, archive.length, bytes.length,
        HexFormat.of().formatHex(BackupService.sha256().digest(bytes)),
        new BackupManifest.EncryptionInfo("AES-256-GCM, chunked v2", 4096, KEK.fingerprint(), KEK.fingerprint(),
            Base64.getEncoder().encodeToString(KEK.wrap(dataKey))), List.of(), null);
    return new Sealed(ManifestMac.sign(manifest, KEK), bytes);
  }

  private static byte[] read(Sealed sealed) throws IOException {
    try (InputStream in = BackupReader.archive(sealed.manifest(), new ByteArrayInputStream(sealed.stored()), KEK)) {
      return in.readAllBytes();
    }
  }

  @Test
  void aZstdArchiveIsDecompressedBackToPgDumpsOutput() throws IOException {
    Sealed sealed = seal(ARCHIVE, Compression.ZSTD);
    assertThat(sealed.stored().length).as("compressed").isLessThan(ARCHIVE.length / 10);
    assertThat(read(sealed)).isEqualTo(ARCHIVE);
  }

  /** Manifests written before archiveCompression existed have none: pg_dump compressed those archives itself. */
  @Test
  void anArchiveOfAManifestWithoutArchiveCompressionIsPassedOnAsStored() throws IOException {
    assertThat(read(seal(ARCHIVE, null))).isEqualTo(ARCHIVE);
    assertThat(read(seal(ARCHIVE, Compression.GZIP))).isEqualTo(ARCHIVE);
    assertThat(read(seal(ARCHIVE, Compression.NONE))).isEqualTo(ARCHIVE);
  }

  /** zstd stops at the end of its frame; the sha256 of the stored object must still be compared at the end. */
  @Test
  void theShaIsStillCheckedBehindZstd() throws IOException {
    Sealed sealed = seal(ARCHIVE, Compression.ZSTD);
    var m = sealed.manifest();
    var wrongSha = new BackupManifest(m.formatVersion(), m.backupId(), m.tier(), m.databaseUnit(), m.startTime(), m.endTime(),
        m.database(), m.serverVersion(), m.walLsn(), m.objectKey(), m.compression(), m.archiveCompression(), m.dumpBytes(),
        m.storedBytes(), "0".repeat(64), m.encryption(), m.tables(), null);
    assertThatThrownBy(() -> read(new Sealed(ManifestMac.sign(wrongSha, KEK), sealed.stored())))
        .isInstanceOf(ChunkedGcm.TamperedException.class).hasMessageContaining("sha256 of the stored object is");
  }

  @Test
  void theManifestRecordsTheCompressionAndReadsBackWithIt() throws IOException {
    Sealed sealed = seal(ARCHIVE, Compression.ZSTD);
    String json = new String(sealed.manifest().toJson(), StandardCharsets.UTF_8);
    assertThat(json).contains("\"archiveCompression\" : \"zstd\"");
    assertThat(BackupManifest.fromJson(sealed.manifest().toJson())).isEqualTo(sealed.manifest());
    String old = new String(seal(ARCHIVE, null).manifest().toJson(), StandardCharsets.UTF_8);
    assertThat(old).as("an old manifest's JSON, and so its MAC, is unchanged").doesNotContain("archiveCompression");
  }
}
