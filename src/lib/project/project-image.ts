import {basename} from 'node:path'

import {TwoliterError} from '../errors.js'
import {ImageUri, versionTag} from './image-uri.js'
import {type ImageOverride, findImageOverride} from './override.js'
import type {ImageRef, Project, Vendor} from './project.js'

/** An SDK or kit image with its vendor and Twoliter.override applied. */
export interface ProjectImage {
  image: ImageRef
  /** Where the vendor publishes it; what Twoliter.lock records as `source`. */
  source: ImageUri
  /** Where twoliter pulls it from: `source`, unless Twoliter.override redirects it. */
  pull: ImageUri
  override?: ImageOverride
}

/** `<vendor registry>/<name>:v<version>`: the image as its vendor publishes it, ignoring any override. */
export function verbatimImageUri(image: ImageRef, vendor: Vendor): ImageUri {
  return new ImageUri(vendor.registry, image.name, versionTag(image.version))
}

/** The pull location: the override's registry and repository name where it sets them, else the verbatim ones. */
export function overriddenImageUri(image: ImageRef, vendor: Vendor, override: ImageOverride | undefined): ImageUri {
  return new ImageUri(override?.registry ?? vendor.registry, override?.name ?? image.name, versionTag(image.version))
}

/**
 * Applies the project's vendors and overrides to an image named by Twoliter.toml or by a kit's metadata.
 * The image's vendor must be declared in Twoliter.toml, which is how twoliter 0.5 learns its registry.
 */
export function toProjectImage(project: Pick<Project, 'file' | 'vendors' | 'override'>, image: ImageRef): ProjectImage {
  if (!Object.hasOwn(project.vendors, image.vendor)) {
    const declared = Object.keys(project.vendors)
    throw new TwoliterError(
      `Could not find the vendor '${image.vendor}' of image ${describeImageRef(image)}: ${basename(project.file)} declares ${declared.length === 0 ? 'no vendors' : `only ${declared.map((name) => `'${name}'`).join(', ')}`}.`,
      {
        location: {file: project.file},
        hint: `Add a [vendor.${image.vendor}] table with its registry to ${basename(project.file)}, e.g. \`[vendor.${image.vendor}] registry = "public.ecr.aws/${image.vendor}"\`.`,
        code: 'project.unknown-vendor',
      },
    )
  }

  const vendor = project.vendors[image.vendor]
  const override = findImageOverride(project.override, image.vendor, image.name)
  return {
    image,
    source: verbatimImageUri(image, vendor),
    pull: overriddenImageUri(image, vendor, override),
    ...(override === undefined ? {} : {override}),
  }
}

/** `name-version@vendor` */
export function describeImageRef(image: ImageRef): string {
  return `${image.name}-${image.version}@${image.vendor}`
}

/** `name-version@vendor (source)`, plus ` (overridden-to: pull)` when Twoliter.override redirects it. */
export function describeProjectImage(projectImage: ProjectImage): string {
  const text = `${describeImageRef(projectImage.image)} (${projectImage.source})`
  return projectImage.override === undefined ? text : `${text} (overridden-to: ${projectImage.pull})`
}
