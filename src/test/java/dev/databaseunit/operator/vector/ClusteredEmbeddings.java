package dev.databaseunit.operator.vector;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Random;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * Synthetic embeddings shaped like real ones rather than uniform noise: clusters (topics) around a direction
 * they all share (embeddings of unrelated texts are still similar, never orthogonal), each cluster spread along a
 * few directions of its own (a low intrinsic dimension, as text embeddings have), plus a little isotropic noise.
 * Cosine distance is about 0.33 within a cluster and 0.67 between clusters.
 * Loaded with binary COPY, so a hundred thousand 1536-dim rows do not go through text. {@link #uniform} is the other
 * shape: directions uniform on the sphere.
 */
public final class ClusteredEmbeddings {
  private static final int LATENT_DIRECTIONS = 8;
  private static final float SPREAD = 0.35f;
  private static final float NOISE = 0.1f;

  private final float[][] centers;
  private final float[][][] directions;
  private final float noise;
  private final Random random;

  public ClusteredEmbeddings(int clusters, int dimensions, long seed) {
    random = new Random(seed);
    noise = NOISE;
    centers = new float[clusters][];
    directions = new float[clusters][LATENT_DIRECTIONS][];
    float[] shared = gaussian(dimensions, 1f);
    for (int c = 0; c < clusters; c++) {
      centers[c] = gaussian(dimensions, 1f);
      for (int i = 0; i < dimensions; i++) {
        centers[c][i] += shared[i];
      }
      for (int d = 0; d < LATENT_DIRECTIONS; d++) {
        directions[c][d] = gaussian(dimensions, 1f);
      }
    }
  }

  /**
   * No clusters and no shared direction: an isotropic Gaussian, whose directions are uniform on the sphere. In 1536
   * dimensions every point is nearly as far from a query as the next, the hardest case for a proximity graph.
   */
  public static ClusteredEmbeddings uniform(int dimensions, long seed) {
    return new ClusteredEmbeddings(new float[][] {new float[dimensions]}, new float[][][] {{}}, 1f, new Random(seed));
  }

  private ClusteredEmbeddings(float[][] centers, float[][][] directions, float noise, Random random) {
    this.centers = centers;
    this.directions = directions;
    this.noise = noise;
    this.random = random;
  }

  /** A vector of the given cluster. */
  public float[] next(int cluster) {
    float[] center = centers[cluster];
    float[] v = gaussian(center.length, noise);
    for (int i = 0; i < v.length; i++) {
      v[i] += center[i];
    }
    for (float[] direction : directions[cluster]) {
      float z = (float) random.nextGaussian() * SPREAD;
      for (int i = 0; i < v.length; i++) {
        v[i] += z * direction[i];
      }
    }
    return v;
  }

  public int clusters() {
    return centers.length;
  }

  /**
   * Appends rows to {@code table(column)} of type vector, cluster by row number modulo clusters.
   *
   * @param table a trusted name from the test itself
   */
  public void load(Connection connection, String table, String column, int rows) throws SQLException, IOException {
    String copy = "COPY " + table + " (" + column + ") FROM STDIN (FORMAT binary)";
    try (OutputStream raw = new PGCopyOutputStream(connection.unwrap(PGConnection.class), copy, 1 << 20);
        var out = new DataOutputStream(new BufferedOutputStream(raw, 1 << 20))) {
      out.writeBytes("PGCOPY\n");
      out.write(new byte[] {(byte) 0xff, '\r', '\n', 0});
      out.writeInt(0);
      out.writeInt(0);
      for (int row = 0; row < rows; row++) {
        float[] v = next(row % centers.length);
        out.writeShort(1);
        out.writeInt(4 + 4 * v.length);
        // pgvector's binary form: dimensions, an unused int16, then the floats.
        out.writeShort(v.length);
        out.writeShort(0);
        for (float f : v) {
          out.writeFloat(f);
        }
      }
      out.writeShort(-1);
    }
  }

  private float[] gaussian(int dimensions, float scale) {
    float[] v = new float[dimensions];
    for (int i = 0; i < dimensions; i++) {
      v[i] = (float) random.nextGaussian() * scale;
    }
    return v;
  }
}
