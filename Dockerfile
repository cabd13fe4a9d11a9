# The operator image: a JRE, the operator's jar and its runtime dependencies, the PostgreSQL client tools
# (pg_dump/pg_restore for backups), running as a non-root user with a read-only root filesystem.
# Build: scripts/build-image.sh (it packages the jars first, then runs docker build). Without Docker,
# scripts/cluster/images.sh builds the same image for the local cluster from these instructions
# (scripts/cluster/dockerfile.py reads them; it refuses instructions it does not understand).
# pg_dump must be at least the server's major version: Debian trixie's client 17 covers servers up to 17.
FROM debian:trixie-slim
# The user is `databaseunit`: trixie already has a group `operator` (gid 37), so groupadd of that name fails.
RUN apt-get update \
 && apt-get install -y --no-install-recommends openjdk-21-jre-headless postgresql-client-17 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 65532 databaseunit \
 && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --shell /usr/sbin/nologin databaseunit
COPY target/image/lib/ /app/lib/
USER 65532:65532
# pg_dump/pg_restore of version 17 directly, not through Debian's pg_wrapper (a Perl script that picks a version).
ENV PATH="/usr/lib/postgresql/17/bin:$PATH" \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=70"
EXPOSE 8080
ENTRYPOINT ["java", "-cp", "/app/lib/*", "dev.databaseunit.operator.Main"]
