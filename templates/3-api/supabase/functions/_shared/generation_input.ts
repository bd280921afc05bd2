/**
 * The body of POST /generate-video against the model's own rules, before
 * anything is charged. Types and limits are the contract's
 * (generate-video/contract.ts, already checked); what is left depends on the
 * model: whether it takes an image, which durations and aspect ratios. The
 * normalized input is what the job stores: the same Idempotency-Key with a
 * different input is a conflict (409).
 */
import type { GenerateVideoBody } from "../generate-video/contract.ts";
import type { GenerationInput, ModelSpec } from "./providers/types.ts";
import { invalidRequest as invalid } from "./validate.ts";

/** The normalized input (absent options are left out). */
export function generationInputOf(body: GenerateVideoBody, spec: ModelSpec): GenerationInput {
  const input: GenerationInput = { prompt: body.prompt };

  if (body.image_url !== undefined && body.image_url !== null) {
    if (spec.image === "none") throw invalid("This model does not take an image_url.");
    input.image_url = body.image_url;
  } else if (spec.image === "required") {
    throw invalid("This model needs an image_url (image to video).");
  }

  if (body.duration !== undefined && body.duration !== null) {
    if (!spec.durations) throw invalid("This model does not take a duration.");
    if (!spec.durations.includes(body.duration)) {
      throw invalid(`duration must be one of ${spec.durations.join(", ")} (seconds).`);
    }
    input.duration = body.duration;
  }

  if (body.aspect_ratio !== undefined && body.aspect_ratio !== null) {
    if (!spec.aspectRatios) throw invalid("This model does not take an aspect_ratio.");
    if (!spec.aspectRatios.includes(body.aspect_ratio)) {
      throw invalid(`aspect_ratio must be one of ${spec.aspectRatios.join(", ")}.`);
    }
    input.aspect_ratio = body.aspect_ratio;
  }
  return input;
}
