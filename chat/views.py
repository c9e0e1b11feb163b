"""Pages and JSON endpoints of the playground."""
from django.contrib.auth.views import LoginView
from django.shortcuts import render


def playground(request):
    """The playground for a signed-in user; the sign-in page for anyone else."""
    if not request.user.is_authenticated:
        return LoginView.as_view()(request)
    return render(request, "chat/playground.html")
