# syntax=docker/dockerfile:1
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release -p relais-server && cp target/release/relais /relais
# The web app: xtask adds the wasm32 target, installs wasm-bindgen-cli at the locked version
# and Node.js (for binaryen's wasm-opt), then writes frontend/dist.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    cargo xtask web && cp -r frontend/dist /web

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/relais --create-home relais
COPY --from=build /relais /usr/local/bin/relais
COPY --from=build /web /usr/share/relais/web
USER relais
ENV RELAIS_BIND=0.0.0.0:8080 RELAIS_DATA_DIR=/var/lib/relais/files RELAIS_WEB_DIR=/usr/share/relais/web
EXPOSE 8080
HEALTHCHECK CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
ENTRYPOINT ["relais"]
CMD ["serve"]
