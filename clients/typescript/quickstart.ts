// The README's quickstart through a TypeScript client generated from the schema, with no cast:
//   npx openapi-typescript "$API/api/schema/?format=json" -o schema.d.ts
//   npx tsc --strict --noEmit   (tsconfig.json)
// tests/hostile/test_typescript_client.py generates schema.d.ts from a live server, checks this
// file with tsc --strict and runs it (API, KEY and the bucket's fields from the environment).
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

const env = (name: string, fallback: string): string => process.env[name] ?? fallback;
const API = env("API", "http://127.0.0.1:8000");
const client = createClient<paths>({
  baseUrl: API,
  headers: { Authorization: `Token ${env("KEY", "")}` },
});
// make run's sample bucket; the test gives its own.
const bucket = {
  bucket_name: env("BUCKET", "customer-sample-bucket"),
  access_key_id: env("ACCESS_KEY_ID", "demo-key"),
  secret_key: env("SECRET_KEY", "demo-secret"),
  endpoint_url: env("ENDPOINT_URL", "http://127.0.0.1:9010"),
};

// quickstart:begin
const saved = await client.PUT("/api/v1/admin/configs", {
  params: { query: { config_type: "storage" } },
  body: { provider: "aws", region: "us-east-1", ...bucket },
});
if (saved.error) {
  // A 400 is a bad field (`errors`) or a failed live check (`check` and `reason`).
  const why = saved.error.code === "storage_check_failed" ? saved.error.reason : saved.error.message;
  throw new Error(`not saved: ${why}`);
}
console.log(`${saved.data.message} (${saved.data.provider}, ${saved.data.access_mode})`);

const created = await client.POST("/api/v1/bots/create_bot", {
  body: { meeting_link: "https://meet.google.com/abc-defg-hij", bot_name: "Notetaker" },
});
if (!created.data) throw new Error(created.error.message);
const bot = { path: { bot_id: created.data.bot_id } };
console.log(JSON.stringify({ bot_id: created.data.bot_id, transcript_id: created.data.transcript_id }));

for (;;) {
  const { data } = await client.GET("/api/v1/bots/{bot_id}/status", { params: bot });
  if (data?.status === "Done") break;
  await new Promise((wake) => setTimeout(wake, 1000));
}
const audio = await client.GET("/api/v1/bots/{bot_id}/get_audio", { params: bot });
if (audio.error) {
  // write_only: the guide's 403 names where the file is, and serves nothing.
  throw new Error(audio.error.code === "write_only" ? audio.error.key : audio.error.message);
}
const wav = new Uint8Array(await (await fetch(audio.data.audio_url)).arrayBuffer());
console.log(`audio: ${wav.length} bytes, URL valid ${audio.data.expires_in} s`);

const chat = await client.GET("/api/v1/bots/{bot_id}/get_chat", { params: bot });
for (const line of chat.data ?? []) console.log(`${line.sender}: ${line.message}`);
const transcript = await client.GET("/api/v1/bots/{bot_id}/get_transcript", { params: bot });
for (const line of transcript.data ?? []) console.log(`[${line.start_time}s] ${line.speaker}`);
// quickstart:end

// Beyond the README: every typed operation, each answer summed up for the test to compare.
const participants = await client.GET("/api/v1/bots/{bot_id}/get_participants", { params: bot });
const manifest = await client.GET("/api/v1/bots/{bot_id}/get_manifest", { params: bot });
const raw = await client.GET("/api/v1/transcript/{transcript_id}/get_raw_transcript", {
  params: { path: { transcript_id: created.data.transcript_id } },
});
// The guide's form answers a list, or with ?raw=true an object: Array.isArray tells them apart.
const guide = await client.GET("/api/v1/transcript/{transcript_id}/get_transcript", {
  params: { path: { transcript_id: created.data.transcript_id }, query: { raw: false } },
});
const shots = await client.GET("/api/v1/bots/{bot_id}/screenshots", {
  params: { ...bot, query: { page_size: 1 } },
});
const first = shots.data?.results[0];
const shot = first
  ? await client.GET("/api/v1/bots/{bot_id}/screenshots/{screenshot_id}", {
      params: {
        path: { bot_id: created.data.bot_id, screenshot_id: first.id },
        query: { expires_in: 600, disposition: "attachment" },
      },
    })
  : undefined;
const download = shot?.data ? await fetch(shot.data.url) : undefined;
const names = await client.GET("/api/v1/admin/configs/names");
const policy = await client.GET("/api/v1/admin/configs/policy", {
  params: { query: { allow_delete: true } },
});
const active = await client.GET("/api/v1/admin/configs");
const wrongKey = await createClient<paths>({
  baseUrl: API,
  headers: { Authorization: "Token ms_wrong" },
}).GET("/api/v1/bots");
console.log(
  JSON.stringify({
    audio_sha256: Buffer.from(await crypto.subtle.digest("SHA-256", wav)).toString("hex"),
    chat: chat.data?.map((line) => line.message),
    participants: participants.data?.map((person) => person.name),
    transcript: transcript.data?.map((line) => line.transcript),
    raw_provider: raw.data?.provider,
    guide_transcript: Array.isArray(guide.data) ? guide.data.length : guide.data?.provider,
    manifest_files: manifest.data?.objects.map((object) => object.file),
    screenshots: shots.data?.count,
    screenshot_png: download
      ? Array.from(new Uint8Array(await download.arrayBuffer()).slice(1, 4))
      : null,
    screenshot_saved_as: download?.headers.get("content-disposition"),
    screenshot_url_life: shot?.data ? [shot.data.expires_in, shot.data.expires_limited_by] : null,
    configs: names.data?.configs.map((config) => [config.name, config.bucket_name]),
    policy_actions:
      policy.data && "Statement" in policy.data
        ? policy.data.Statement.flatMap((statement) => statement.Action)
        : null,
    active_bucket: active.data?.StorageConfig.aws?.bucket_name,
    wrong_key: wrongKey.error?.code,
  }),
);
