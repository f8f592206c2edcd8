import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type NewProjectResult, createProject} from '../../lib/scaffold/new-project.js'

export default class NewProject extends BaseCommand {
  static override summary = 'Create a twoliter project with one package, one kit and one variant wired together.'

  static override description = `The project has the layout of the Rust twoliter (a Cargo workspace of packages/, kits/ and variants/, with the build.rs stubs and a Cargo.lock), so it builds with either tool. By default it uses Bottlerocket's public SDK from public.ecr.aws/bottlerocket. --vendor and --registry name your own vendor, whose registry your kit is published to; add --sdk-name and --sdk-version when that vendor also provides the SDK (for example a local SDK built with twoliter sdk build-local). Existing files are never overwritten: the directory must not exist or must be empty.

Result (--json): {root, files, package, kit, variant}.`

  static override examples = [
    {description: 'A project in ./my-os using Bottlerocket\'s SDK', command: '<%= config.bin %> new project --name my-os'},
    {
      description: 'A project publishing to your own registry, with your own variant name',
      command: '<%= config.bin %> new project --name my-os --variant-name my-os-k8s --vendor acme --registry registry.example.com/acme',
    },
    {
      description: 'A project that uses a local SDK pushed to a loopback registry',
      command: '<%= config.bin %> new project --name demo --vendor local --registry 127.0.0.1:5000 --sdk-name twoliter-sdk --sdk-version 0.1.0',
    },
  ]

  static override flags = {
    name: Flags.string({summary: 'Name of the project (letters, digits, - and _).', required: true}),
    directory: Flags.directory({summary: 'Where to create the project. Default: ./NAME.', helpValue: 'DIR'}),
    'variant-name': Flags.string({summary: 'Name of the variant. Default: NAME-dev.', helpValue: 'NAME'}),
    vendor: Flags.string({summary: 'Your vendor name, used by your kit.', dependsOn: ['registry'], helpValue: 'NAME'}),
    registry: Flags.string({summary: 'Registry (host and path) of your vendor.', dependsOn: ['vendor'], helpValue: 'REGISTRY'}),
    'sdk-name': Flags.string({summary: 'An SDK published by your vendor, instead of Bottlerocket\'s.', dependsOn: ['vendor'], helpValue: 'NAME'}),
    'sdk-version': Flags.string({summary: 'Version of the SDK (x.y.z).', helpValue: 'VERSION'}),
  }

  public async run(): Promise<NewProjectResult> {
    const {flags} = await this.parse(NewProject)
    const result = await createProject({
      name: flags.name,
      directory: flags.directory,
      variantName: flags['variant-name'],
      vendor: flags.vendor === undefined ? undefined : {name: flags.vendor, registry: flags.registry!},
      sdk: {name: flags['sdk-name'], version: flags['sdk-version']},
    })
    this.log(`Created project ${flags.name} in ${result.root}`)
    this.log(`  package ${result.package}  →  kit ${result.kit}  →  variant ${result.variant}`)
    this.log(`Next: cd ${result.root} && ${this.config.bin} graph ${result.variant}`)
    return result
  }
}
