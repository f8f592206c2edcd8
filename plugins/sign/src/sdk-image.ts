/** The local SDK's image, which has gpg and rpm; `sdk build-local` makes it. The default of the commands that run them. */
export const LOCAL_SDK_IMAGE = 'twoliter-local-sdk:latest'
