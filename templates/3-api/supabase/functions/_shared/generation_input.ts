/**
 * The body of POST /generate-video, checked against the model's input rules
 * before anything is charged. The normalized input is what the job stores:
 * the same Idempotency-Key with a different input is a conflict (409).
 */
import { HttpError } from "./http.ts";
import type { GenerationInput, ModelSpec } from "./providers/types.ts";

const MAX_PROMPT = 2000;
const MAX_URL = 2048;

function invalid(message: string): HttpError {
  return new HttpError(400, "invalid_request", message);
}

/** `Idempotency-Key`: 8..128 visible ASCII characters. */
export function idempotencyKeyOf(req: Request): string {
  const key = req.headers.get("idempotency-key") ?? "";
  if (!/^[\x21-\x7e]{8,128}$/.test(key)) {
    throw invalid("Send an Idempotency-Key header of 8 to 128 characters (a UUID is ideal).");
  }
  return key;
}

/** `model_id` of the body. */
export function modelIdOf(body: Record<string, unknown>): string {
  const id = body.model_id;
  if (typeof id !== "string" || id === "" || id.length > 200) {
    throw invalid("model_id is required.");
  }
  return id;
}

/** The validated, normalized input (absent options are left out). */
export function generationInputOf(body: Record<string, unknown>, spec: ModelSpec): GenerationInput {
  const { prompt, image_url: imageUrl, duration, aspect_ratio: aspectRatio } = body;
  if (typeof prompt !== "string" || prompt.trim() === "") throw invalid("prompt is required.");
  if (prompt.length > MAX_PROMPT) throw invalid(`prompt is longer than ${MAX_PROMPT} characters.`);
  const input: GenerationInput = { prompt: prompt.trim() };

  if (imageUrl !== undefined && imageUrl !== null) {
    if (spec.image === "none") throw invalid("This model does not take an image_url.");
    if (typeof imageUrl !== "string" || imageUrl.length > MAX_URL || !isHttpUrl(imageUrl)) {
      throw invalid("image_url must be an http(s) URL.");
    }
    input.image_url = imageUrl;
  } else if (spec.image === "required") {
    throw invalid("This model needs an image_url (image to video).");
  }

  if (duration !== undefined && duration !== null) {
    if (!spec.durations) throw invalid("This model does not take a duration.");
    if (typeof duration !== "number" || !spec.durations.includes(duration)) {
      throw invalid(`duration must be one of ${spec.durations.join(", ")} (seconds).`);
    }
    input.duration = duration;
  }

  if (aspectRatio !== undefined && aspectRatio !== null) {
    if (!spec.aspectRatios) throw invalid("This model does not take an aspect_ratio.");
    if (typeof aspectRatio !== "string" || !spec.aspectRatios.includes(aspectRatio)) {
      throw invalid(`aspect_ratio must be one of ${spec.aspectRatios.join(", ")}.`);
    }
    input.aspect_ratio = aspectRatio;
  }
  return input;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" || url.protocol === "http:";
  } catch {
    return false;
  }
}
