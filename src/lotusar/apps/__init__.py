"""lotusar.apps"""
